# The conformance runner: ONNX backend node tests (Debian libonnx-testdata) and our own
# fixtures in the same layout. expected_pass.txt only grows.
add_executable(conformance conformance/conformance.c)
target_link_libraries(conformance PRIVATE glc_frontend glc_passes glc_codegen glc_runtime glc_ir m)
set(ONNX_NODE_TESTS /usr/share/libonnx-testdata/data/node)
add_test(NAME conformance_onnx_node
  COMMAND conformance --expected ${CMAKE_CURRENT_SOURCE_DIR}/conformance/expected_pass.txt
          ${ONNX_NODE_TESTS})
target_compile_options(conformance PRIVATE -Wno-format-truncation)
add_test(NAME conformance_rnn_fixtures COMMAND conformance
  --expected ${CMAKE_CURRENT_SOURCE_DIR}/conformance/expected_rnn_fixtures.txt
  ${CMAKE_CURRENT_SOURCE_DIR}/fixtures/rnn)
add_test(NAME conformance_convlstm_fixtures COMMAND conformance
  --expected ${CMAKE_CURRENT_SOURCE_DIR}/conformance/expected_convlstm_fixtures.txt
  --filter convlstm --rtol 1e-5 --atol 1e-6 ${CMAKE_CURRENT_SOURCE_DIR}/fixtures/glc_ops)
add_test(NAME conformance_keras_convlstm COMMAND conformance
  --expected ${CMAKE_CURRENT_SOURCE_DIR}/conformance/expected_keras_convlstm.txt
  --rtol 1e-4 --atol 1e-5 ${CMAKE_CURRENT_SOURCE_DIR}/fixtures/keras_convlstm)
# The seed examples (examples/README.md): every model of each directory must pass.
set(GLC_EXAMPLE_DIRS)
foreach(ex gridlstm2d_block mdlstm_diagonal convlstm_video spatial_lstm gridlstm_charmodel)
  list(APPEND GLC_EXAMPLE_DIRS ${CMAKE_SOURCE_DIR}/examples/${ex})
  add_test(NAME example_${ex} COMMAND conformance --all --rtol 1e-4 --atol 1e-5
           ${CMAKE_SOURCE_DIR}/examples/${ex})
endforeach()
add_test(NAME conformance_glc_gridlstm COMMAND conformance --all
  --rtol 1e-5 --atol 1e-6 --filter gridlstm ${CMAKE_CURRENT_SOURCE_DIR}/fixtures/glc_ops)
add_test(NAME conformance_glc_mdlstm COMMAND conformance --all
  --rtol 1e-5 --atol 1e-6 --filter mdlstm ${CMAKE_CURRENT_SOURCE_DIR}/fixtures/glc_ops)
add_test(NAME conformance_keras_tf2onnx COMMAND conformance
  --expected ${CMAKE_CURRENT_SOURCE_DIR}/conformance/expected_keras_tf2onnx.txt
  --rtol 1e-4 --atol 1e-5 ${CMAKE_CURRENT_SOURCE_DIR}/fixtures/keras_tf2onnx)
# glc --bf16 (bf16 dot products, ~1e-3 relative) through every op and recurrent lowering
# the suites above reach, at a tolerance for bf16; skipped (77) without avx512_bf16.
add_test(NAME conformance_bf16_onnx_node COMMAND conformance --bf16 --rtol 2e-2 --atol 1e-2
  --expected ${CMAKE_CURRENT_SOURCE_DIR}/conformance/expected_pass.txt ${ONNX_NODE_TESTS})
add_test(NAME conformance_bf16_recurrent COMMAND conformance --bf16 --all --rtol 2e-2 --atol 1e-2
  ${CMAKE_CURRENT_SOURCE_DIR}/fixtures/rnn ${CMAKE_CURRENT_SOURCE_DIR}/fixtures/glc_ops
  ${CMAKE_CURRENT_SOURCE_DIR}/fixtures/keras_convlstm ${GLC_EXAMPLE_DIRS})
set_tests_properties(conformance_bf16_onnx_node conformance_bf16_recurrent
  PROPERTIES SKIP_RETURN_CODE 77)
# --dynamic (every input dim a symbol, one compile, each data set at its own dims): the nn
# family's node tests, every one of which passes statically, must pass.
set(GLC_DYNAMIC_NN_TESTS)
foreach(t basic_conv_with_padding basic_conv_without_padding conv_with_autopad_same
          conv_with_strides_and_asymmetric_padding conv_with_strides_no_padding
          conv_with_strides_padding batchnorm_epsilon batchnorm_epsilon_training_mode
          batchnorm_example batchnorm_example_training_mode leakyrelu leakyrelu_default
          leakyrelu_example hardsigmoid hardsigmoid_default hardsigmoid_example logsoftmax_axis_0
          logsoftmax_axis_1 logsoftmax_axis_2 logsoftmax_default_axis logsoftmax_example_1
          logsoftmax_large_number logsoftmax_negative_axis)
  list(APPEND GLC_DYNAMIC_NN_TESTS ${ONNX_NODE_TESTS}/test_${t})
endforeach()
add_test(NAME conformance_dynamic_nn COMMAND conformance --dynamic --all ${GLC_DYNAMIC_NN_TESTS})
