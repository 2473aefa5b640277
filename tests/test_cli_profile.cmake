# cmake -DCNNRT=... -DSOURCE_DIR=... -P test_cli_profile.cmake
# --bench N --profile: one row per node with its kernel (shapes at the declared batch, as
# in --summary), at another batch and thread count than the model declares.
set(model ${SOURCE_DIR}/models/fashion_mnist/model.json)
execute_process(COMMAND ${CNNRT} ${model} --bench 5 --profile --batch 3 --threads 2
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "--profile exited with ${status}: ${err}")
endif()
string(REGEX MATCHALL "\n +[0-9]+  [^\n]*%" rows "${out}")
list(LENGTH rows count)
if(NOT count EQUAL 10)
  message(FATAL_ERROR "--profile printed ${count} node rows, the model has 10:\n${out}")
endif()
foreach(want "Conv2d \\[gemm\\] +\\[1, 16, 28, 28\\]" "ReLU \\(fused\\)"
        "Conv2d \\[winograd\\] +\\[1, 32, 14, 14\\]" "Linear \\[gemm\\]"
        "sum of node medians [0-9.]+ ms" "model loaded in [0-9.]+ ms, session created in [0-9.]+ ms")
  if(NOT out MATCHES "${want}")
    message(FATAL_ERROR "--profile output lacks '${want}':\n${out}")
  endif()
endforeach()
message(STATUS "profile: ${count} nodes")
