# cnnrt_embed_model(TARGET MODEL_JSON SYMBOL)
#
# Compiles a cnnrt model into TARGET: at build time cnnrt-embed writes SYMBOL.c / SYMBOL.h
# (in the current binary directory, which is added to TARGET's include path) holding the
# JSON and the weight blob as const arrays:
#
#   #include "SYMBOL.h"
#   cnnrt_model_load_memory(SYMBOL_json, SYMBOL_json_len, SYMBOL_weights,
#                           SYMBOL_weights_len, &model);
#
# The files are rebuilt when the JSON or its weight blob changes.
function(cnnrt_embed_model target json symbol)
  if(NOT cnnrt_EMBED_EXECUTABLE)
    message(FATAL_ERROR "cnnrt_embed_model: cnnrt_EMBED_EXECUTABLE is not set")
  endif()
  get_filename_component(json "${json}" ABSOLUTE)
  if(NOT EXISTS "${json}")
    message(FATAL_ERROR "cnnrt_embed_model: ${json} does not exist")
  endif()
  set(depends "${json}")
  set(no_weights TRUE)
  if(CMAKE_VERSION VERSION_GREATER_EQUAL 3.19) # string(JSON)
    file(READ "${json}" text)
    string(JSON weights ERROR_VARIABLE no_weights GET "${text}" weights)
  endif()
  if(NOT no_weights)
    get_filename_component(dir "${json}" DIRECTORY)
    list(APPEND depends "${dir}/${weights}")
  endif()
  set(out "${CMAKE_CURRENT_BINARY_DIR}/${symbol}")
  add_custom_command(OUTPUT "${out}.c" "${out}.h"
                     COMMAND "${cnnrt_EMBED_EXECUTABLE}" "${json}" -o "${out}.c"
                             --header "${out}.h" --name "${symbol}"
                     DEPENDS ${depends}
                     COMMENT "Embedding ${json} as ${symbol}"
                     VERBATIM)
  target_sources(${target} PRIVATE "${out}.c" "${out}.h")
  target_include_directories(${target} PRIVATE "${CMAKE_CURRENT_BINARY_DIR}")
endfunction()
