# cmake -DCNNRT=... -DSOURCE_DIR=... -DWORK_DIR=... -P cli_test.cmake
# Runs the cnnrt CLI on the bundled Fashion-MNIST samples and checks every top-1 label,
# then a few failure modes (exit status and a message naming the culprit).
set(model ${SOURCE_DIR}/models/fashion_mnist/model.json)
set(samples ${SOURCE_DIR}/models/fashion_mnist/samples)
set(failures 0)

macro(fail message)
  message(SEND_ERROR "${message}")
  math(EXPR failures "${failures} + 1")
endmacro()

# sample file -> expected label
set(expected
    "ankle_boot_0.jpg=Ankle boot" "bag_18.jpg=Bag" "coat_6.jpg=Coat" "dress_13.jpg=Dress"
    "pullover_1.jpg=Pullover" "sandal_8.jpg=Sandal" "shirt_4.jpg=Shirt"
    "sneaker_9.jpg=Sneaker" "t_shirt_top_19.jpg=T-shirt/top" "trouser_2.jpg=Trouser")
set(files "")
foreach(pair IN LISTS expected)
  string(REGEX REPLACE "=.*" "" file "${pair}")
  list(APPEND files ${samples}/${file})
endforeach()

# Text output, one image at a time (batch 1) and all together (batch 10).
foreach(batch 1 16)
  execute_process(COMMAND ${CNNRT} ${model} ${files} --top 1 --batch ${batch} --threads 2
                  RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT status EQUAL 0)
    fail("cnnrt (batch ${batch}) exited with ${status}: ${err}")
  endif()
  foreach(pair IN LISTS expected)
    string(REGEX REPLACE "=.*" "" file "${pair}")
    string(REGEX REPLACE "^[^=]*=" "" label "${pair}")
    string(FIND "${out}" "${samples}/${file}\n" at)
    if(at LESS 0)
      fail("batch ${batch}: no result for ${file}:\n${out}")
      continue()
    endif()
    string(SUBSTRING "${out}" ${at} -1 rest)
    string(REGEX MATCH "^[^\n]*\n[^\n]*" block "${rest}")
    string(FIND "${block}" "%  ${label} (" found)
    if(found LESS 0)
      fail("batch ${batch}: ${file} should be '${label}', cnnrt printed:\n${block}")
    endif()
  endforeach()
endforeach()

# JSON lines output.
execute_process(COMMAND ${CNNRT} ${model} ${samples}/bag_18.jpg --json --top 2
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT status EQUAL 0 OR NOT out MATCHES "\"label\":\"Bag\"")
  fail("--json: status ${status}, output ${out} ${err}")
endif()

# Failures: a missing image (the good one is still classified), a bad model path.
execute_process(COMMAND ${CNNRT} ${model} ${samples}/bag_18.jpg ${WORK_DIR}/missing.jpg --top 1
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT status EQUAL 1 OR NOT err MATCHES "missing.jpg" OR NOT out MATCHES "Bag")
  fail("missing image: status ${status}, stdout ${out}, stderr ${err}")
endif()
execute_process(COMMAND ${CNNRT} ${WORK_DIR}/no_model.json ${samples}/bag_18.jpg
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT status EQUAL 1 OR NOT err MATCHES "no_model.json")
  fail("missing model: status ${status}, stderr ${err}")
endif()

if(failures GREATER 0)
  message(FATAL_ERROR "${failures} CLI check(s) failed")
endif()
message(STATUS "CLI: all checks passed")
