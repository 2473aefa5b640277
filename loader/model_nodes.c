/* The "nodes" array: names, ops, inputs, execution order (Kahn) and parameters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader/attr_json.h"
#include "loader/json_util.h"
#include "loader/loader.h"
#include "runtime/limits.h"

/* A node as read from the file, before ordering. */
typedef struct {
  const cJSON *json;
  const char *name;
  const op_def *op;
  int n_inputs;
  size_t inputs[CNNRT_MAX_INPUTS]; /* file index + 1 of the producer, 0 = graph input */
} raw_node;

typedef struct {
  const char *file;
  raw_node *raw;
  size_t count;
  const char *input_name;
  size_t *by_name; /* file indices sorted by name */
} node_table;

static err_ctx raw_ctx(const node_table *t, size_t i) {
  err_ctx e = {t->file, (long)i, t->raw[i].name, t->raw[i].op ? t->raw[i].op->name : NULL};
  return e;
}

static _Thread_local const node_table *sort_table; /* qsort has no context argument */
static int compare_names(const void *a, const void *b) {
  return strcmp(sort_table->raw[*(const size_t *)a].name, sort_table->raw[*(const size_t *)b].name);
}

/* Value id (file index + 1, or 0 for the graph input) of name; false when unknown. */
static bool find_value(const node_table *t, const char *name, size_t *value) {
  if (strcmp(name, t->input_name) == 0) {
    *value = 0;
    return true;
  }
  size_t lo = 0, hi = t->count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(t->raw[t->by_name[mid]].name, name);
    if (c == 0) {
      *value = t->by_name[mid] + 1;
      return true;
    }
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return false;
}

static cnnrt_status read_node_header(node_table *t, size_t i, const cJSON *json) {
  static const char *const keys[] = {"name", "op", "inputs", "params", "weights", NULL};
  raw_node *r = &t->raw[i];
  err_ctx e = {t->file, (long)i, NULL, NULL};
  const char *op;
  cnnrt_status st;
  r->json = json;
  if (!cJSON_IsObject(json))
    return err_set(&e, CNNRT_ERR_FORMAT, "must be an object, got %s", json_type_name(json));
  if ((st = json_string_field(json, "name", "node", &r->name, &e))) return st;
  e.node_name = r->name;
  if ((st = json_string_field(json, "op", "node", &op, &e))) return st;
  if (!(r->op = op_find(op))) {
    char list[2048] = "";
    size_t n = 0;
    for (size_t k = 0; k < op_count() && n < sizeof list; k++)
      n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", k ? ", " : "", op_at(k)->name);
    return err_set(&e, CNNRT_ERR_UNSUPPORTED, "unknown op '%s' (supported: %s)", op, list);
  }
  e.op = r->op->name;
  if ((st = json_check_keys(json, keys, "node", &e))) return st;
  if (strcmp(r->name, t->input_name) == 0)
    return err_set(&e, CNNRT_ERR_FORMAT, "name '%s' is already the graph input's name", r->name);
  return CNNRT_OK;
}

static cnnrt_status check_unique_names(node_table *t) {
  for (size_t i = 0; i < t->count; i++) t->by_name[i] = i;
  sort_table = t;
  qsort(t->by_name, t->count, sizeof *t->by_name, compare_names);
  for (size_t i = 1; i < t->count; i++) {
    size_t a = t->by_name[i - 1], b = t->by_name[i];
    if (strcmp(t->raw[a].name, t->raw[b].name) == 0) {
      err_ctx e = raw_ctx(t, a > b ? a : b);
      return err_set(&e, CNNRT_ERR_FORMAT, "duplicate node name (also node %zu)", a > b ? b : a);
    }
  }
  return CNNRT_OK;
}

static cnnrt_status resolve_inputs(node_table *t, size_t i) {
  raw_node *r = &t->raw[i];
  err_ctx e = raw_ctx(t, i);
  const cJSON *inputs = cJSON_GetObjectItemCaseSensitive(r->json, "inputs"), *el;
  if (!inputs) { /* default: the previous node, or the graph input for the first */
    r->n_inputs = 1;
    r->inputs[0] = i;
  } else {
    if (!cJSON_IsArray(inputs))
      return err_set(&e, CNNRT_ERR_FORMAT, "inputs must be an array of node names, got %s",
                     json_type_name(inputs));
    int n = cJSON_GetArraySize(inputs);
    if (n < r->op->min_inputs || n > r->op->max_inputs)
      return err_set(&e, CNNRT_ERR_FORMAT, "inputs has %d entries, %s takes %d to %d", n,
                     r->op->name, r->op->min_inputs, r->op->max_inputs);
    cJSON_ArrayForEach(el, inputs) {
      if (!cJSON_IsString(el))
        return err_set(&e, CNNRT_ERR_FORMAT, "inputs[%d] must be a node name, got %s", r->n_inputs,
                       json_type_name(el));
      if (!find_value(t, el->valuestring, &r->inputs[r->n_inputs]))
        return err_set(&e, CNNRT_ERR_FORMAT,
                       "inputs[%d] names '%s', which is neither a node "
                       "nor the graph input '%s'",
                       r->n_inputs, el->valuestring, t->input_name);
      if (r->inputs[r->n_inputs] == i + 1)
        return err_set(&e, CNNRT_ERR_FORMAT, "inputs[%d] is the node itself", r->n_inputs);
      r->n_inputs++;
    }
  }
  if (r->n_inputs < r->op->min_inputs || r->n_inputs > r->op->max_inputs)
    return err_set(&e, CNNRT_ERR_FORMAT, "%s takes %d to %d inputs", r->op->name, r->op->min_inputs,
                   r->op->max_inputs);
  return CNNRT_OK;
}

/* Consumer lists (CSR): the consumers of file node p are list[first[p] .. first[p + 1]),
 * in ascending file order, a node reading p twice listed twice. */
typedef struct {
  size_t *first, *list;
} consumer_lists;

static bool build_consumers(const node_table *t, consumer_lists *c) {
  size_t n = t->count, edges = 0;
  c->first = calloc(n + 1, sizeof *c->first);
  if (!c->first) return false;
  for (size_t i = 0; i < n; i++)
    for (int k = 0; k < t->raw[i].n_inputs; k++)
      if (t->raw[i].inputs[k] != 0) c->first[t->raw[i].inputs[k] - 1]++, edges++;
  for (size_t p = 1; p <= n; p++) c->first[p] += c->first[p - 1]; /* end of each list */
  c->list = malloc((edges ? edges : 1) * sizeof *c->list);
  if (!c->list) return false;
  for (size_t i = n; i-- > 0;) /* backwards: each list fills from its end, ascending */
    for (int k = t->raw[i].n_inputs; k-- > 0;)
      if (t->raw[i].inputs[k] != 0) c->list[--c->first[t->raw[i].inputs[k] - 1]] = i;
  return true; /* now first[p] is the start of p's list, first[n] the number of edges */
}

/* Nodes on the longest path from the graph input to node i (its producers are done). */
static size_t node_depth(const node_table *t, const size_t *depth, size_t i) {
  size_t d = 0;
  for (int k = 0; k < t->raw[i].n_inputs; k++) {
    size_t v = t->raw[i].inputs[k];
    if (v != 0 && depth[v - 1] > d) d = depth[v - 1];
  }
  return d + 1;
}

/* Kahn's algorithm: order[k] = file index of the k-th node to run (ready nodes in file
 * order, consumers in file order); fails on a cycle or a graph deeper than the limit. */
static cnnrt_status order_nodes(const node_table *t, size_t *order) {
  size_t n = t->count;
  size_t *pending = calloc(n, sizeof *pending); /* unfinished producers per node */
  size_t *depth = calloc(n, sizeof *depth);
  consumer_lists c = {NULL, NULL};
  cnnrt_status st = CNNRT_OK;
  if (!pending || !depth || !build_consumers(t, &c)) {
    st = err_set(NULL, CNNRT_ERR_MEMORY, "%s: out of memory ordering nodes", t->file);
    goto done;
  }
  for (size_t i = 0; i < n; i++)
    for (int k = 0; k < t->raw[i].n_inputs; k++) pending[i] += t->raw[i].inputs[k] != 0;
  size_t ready = 0, head = 0;
  for (size_t i = 0; i < n; i++)
    if (pending[i] == 0) order[ready++] = i;
  while (head < ready) {
    size_t producer = order[head++];
    depth[producer] = node_depth(t, depth, producer);
    err_ctx e = raw_ctx(t, producer);
    if ((st = limit_check(CNNRT_LIMIT_GRAPH_DEPTH, depth[producer], &e,
                          "the path from the graph input to this node")))
      goto done;
    for (size_t j = c.first[producer]; j < c.first[producer + 1]; j++)
      if (--pending[c.list[j]] == 0) order[ready++] = c.list[j];
  }
  if (ready < n) {
    size_t stuck = 0;
    while (pending[stuck] == 0) stuck++;
    err_ctx e = raw_ctx(t, stuck);
    st = err_set(&e, CNNRT_ERR_FORMAT, "is part of a cycle: the graph must be acyclic");
  }
done:
  free(pending);
  free(depth);
  free(c.first);
  free(c.list);
  return st;
}

/* Parses node params into m->nodes[k] (the k-th in execution order, file index i). */
static cnnrt_status build_node(const node_table *t, const size_t *position, size_t i, size_t k,
                               cnnrt_model *m, bool has_blob) {
  const raw_node *r = &t->raw[i];
  graph_node *g = &m->nodes[k];
  err_ctx e = raw_ctx(t, i);
  attr_json reader;
  cnnrt_status st;
  g->json_index = i;
  g->op = r->op;
  g->n_inputs = r->n_inputs;
  for (int j = 0; j < r->n_inputs; j++)
    g->inputs[j] = r->inputs[j] == 0 ? GRAPH_INPUT_VALUE : position[r->inputs[j] - 1] + 1;
  if (!(g->name = strdup(r->name)) ||
      !(g->params = calloc(1, r->op->params_size ? r->op->params_size : 1)))
    return err_set(&e, CNNRT_ERR_MEMORY, "out of memory");
  if ((st = attr_json_init(&reader, cJSON_GetObjectItemCaseSensitive(r->json, "params"),
                           cJSON_GetObjectItemCaseSensitive(r->json, "weights"), m->blob,
                           m->blob_bytes, has_blob, &e)))
    return st;
  reader.model = m;
  if ((st = r->op->parse(&reader.reader, g->params, &e)) ||
      (st = attr_json_check_all_read(&reader, r->op->name, &e)))
    return st;
  g->param_count = reader.weight_floats;
  return CNNRT_OK;
}

/* The output node: "output" names it, else the last node of the file. */
static cnnrt_status pick_output(const cJSON *root, node_table *t, const size_t *position,
                                cnnrt_model *m, const err_ctx *e) {
  const cJSON *out = cJSON_GetObjectItemCaseSensitive(root, "output");
  size_t value = t->count;
  if (out) {
    if (!cJSON_IsString(out))
      return err_set(e, CNNRT_ERR_FORMAT, "'output' must be a node name, got %s",
                     json_type_name(out));
    if (!find_value(t, out->valuestring, &value) || value == 0)
      return err_set(e, CNNRT_ERR_FORMAT, "'output' names '%s', which is not a node",
                     out->valuestring);
  }
  m->output_value = position[value - 1] + 1;
  return CNNRT_OK;
}

static cnnrt_status read_table(const cJSON *nodes, node_table *t, size_t *order, size_t *position) {
  cnnrt_status st;
  const cJSON *el;
  size_t i = 0;
  cJSON_ArrayForEach(el, nodes) {
    if ((st = read_node_header(t, i++, el))) return st;
  }
  if ((st = check_unique_names(t))) return st;
  for (i = 0; i < t->count; i++)
    if ((st = resolve_inputs(t, i))) return st;
  if ((st = order_nodes(t, order))) return st;
  for (i = 0; i < t->count; i++) position[order[i]] = i;
  return CNNRT_OK;
}

cnnrt_status loader_read_nodes(const cJSON *root, cnnrt_model *m, bool has_blob, const err_ctx *e) {
  const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(root, "nodes");
  if (!cJSON_IsArray(nodes) || cJSON_GetArraySize(nodes) < 1)
    return err_set(e, CNNRT_ERR_FORMAT, "'nodes' must be a non-empty array, got %s",
                   cJSON_IsArray(nodes) ? "an empty array" : json_type_name(nodes));
  size_t count = (size_t)cJSON_GetArraySize(nodes);
  cnnrt_status limit_st = limit_check(CNNRT_LIMIT_NODES, count, e, "'nodes'");
  if (limit_st != CNNRT_OK) return limit_st;
  node_table t = {e->file, calloc(count, sizeof(raw_node)), count, m->input_name,
                  calloc(count, sizeof(size_t))};
  size_t *order = calloc(count, sizeof *order), *position = calloc(count, sizeof *position);
  m->nodes = calloc(count, sizeof *m->nodes);
  cnnrt_status st = CNNRT_OK;
  if (!t.raw || !t.by_name || !order || !position || !m->nodes)
    st = err_set(e, CNNRT_ERR_MEMORY, "out of memory reading %zu nodes", count);
  if (st == CNNRT_OK) st = read_table(nodes, &t, order, position);
  for (size_t k = 0; st == CNNRT_OK && k < count; k++) {
    st = build_node(&t, position, order[k], k, m, has_blob);
    m->node_count = k + 1; /* so graph_free releases what was built */
  }
  if (st == CNNRT_OK) st = pick_output(root, &t, position, m, e);
  free(t.raw);
  free(t.by_name);
  free(order);
  free(position);
  return st;
}
