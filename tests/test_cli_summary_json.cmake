# cmake -DCNNRT=... -DSOURCE_DIR=... -DPYTHON=... -DWORK_DIR=... -P test_cli_summary_json.cmake
# --summary --json is one JSON document that agrees with the text summary.
set(model ${SOURCE_DIR}/models/fashion_mnist/model.json)
execute_process(COMMAND ${CNNRT} ${model} --summary --json --batch 4
                RESULT_VARIABLE status OUTPUT_VARIABLE json ERROR_VARIABLE err)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "--summary --json exited with ${status}: ${err}")
endif()
execute_process(COMMAND ${CNNRT} ${model} --summary --batch 4 OUTPUT_VARIABLE text)
string(REGEX MATCH "arena: ([0-9]+) bytes" _ "${text}")
set(text_arena ${CMAKE_MATCH_1})
string(REGEX MATCH "total: ([0-9]+) parameters" _ "${text}")
set(text_params ${CMAKE_MATCH_1})
set(check [=[
import json, sys
d = json.load(open(sys.argv[3]))
nodes = d["nodes"]
assert d["batch"] == 4 and d["input_shape"] == [1, 1, 28, 28], (d["batch"], d["input_shape"])
assert len(nodes) == 10 and [n["index"] for n in nodes] == list(range(10))
assert nodes[0]["op"] == "Conv2d" and nodes[0]["inputs"] == [None], nodes[0]
assert nodes[1]["fused"] is True and nodes[1]["inputs"] == ["features.0"], nodes[1]
# the kernel chosen at load: 1 -> 16 channels is too few for Winograd, 16 -> 32 at 14x14 is not
assert [nodes[i]["kernel"] for i in (0, 1, 3, 7)] == ["gemm", "", "winograd", "gemm"], nodes
# shapes and MACs at the declared batch (as in the text summary), the arena at --batch
assert d["declared_batch"] == 1 and nodes[0]["shape"] == [1, 16, 28, 28], nodes[0]["shape"]
assert sum(n["params"] for n in nodes) == d["total"]["params"] == int(sys.argv[1])
assert sum(n["macs"] for n in nodes) == d["total"]["macs"] > 0
assert d["total"]["arena_bytes"] == int(sys.argv[2]) <= d["total"]["naive_bytes"]
assert all(n["arena_offset"] + n["arena_bytes"] <= d["total"]["arena_bytes"] for n in nodes)
assert d["labels"][9] == "Ankle boot" and d["output_shape"] == [1, 10]
print("summary json ok:", len(nodes), "nodes")
]=])
file(MAKE_DIRECTORY ${WORK_DIR})
file(WRITE ${WORK_DIR}/summary.json "${json}")
execute_process(COMMAND ${PYTHON} -c "${check}" ${text_params} ${text_arena} ${WORK_DIR}/summary.json
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "--summary --json check failed: ${out}${err}\n${json}")
endif()
message(STATUS "${out}")
