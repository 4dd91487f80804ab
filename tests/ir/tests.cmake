# ir/ layer tests: shape inference, verifier, printer, interpreter, graph utilities.
glc_add_test(ir test_op_table glc_ir)
glc_add_test(ir test_infer glc_ir)
glc_add_test(ir test_verify glc_ir)
glc_add_test(ir test_print glc_ir)
glc_add_test(ir test_interp glc_ir)
glc_add_test(ir test_graph glc_ir)
glc_add_test(ir test_pool glc_ir)
glc_add_test(ir test_rnn glc_ir)
glc_add_test(ir test_convlstm glc_ir)
glc_add_test(ir test_nn glc_ir)
glc_add_test(ir test_mdlstm glc_ir)
glc_add_test(ir test_gridlstm glc_ir)
glc_add_test(ir test_tensor glc_ir)
glc_add_test(ir test_dim glc_ir)
set_tests_properties(test_dim PROPERTIES TIMEOUT 60) # deep expressions must not take exponential time

# -Werror=switch holds without GLC_WERROR: the probe (never part of `all`) must fail to
# compile with the compiler's "not handled in switch" error.
add_library(op_switch_probe OBJECT EXCLUDE_FROM_ALL ir/op_switch_probe.c)
target_link_libraries(op_switch_probe PRIVATE glc_ir)
add_test(NAME op_switch_missing_an_op_is_an_error
  COMMAND ${CMAKE_COMMAND} --build ${CMAKE_BINARY_DIR} --target op_switch_probe)
set_tests_properties(op_switch_missing_an_op_is_an_error PROPERTIES
  PASS_REGULAR_EXPRESSION "error: .*enumeration value.* not handled in switch")
