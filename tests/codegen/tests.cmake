# codegen/ layer tests: every op compiled to a .so and compared with the interpreter,
# the run() ABI errors, --emit kinds, target/IO errors, math accuracy; the target choice
# (test_target: options, GLC_DEFAULT_CPU, host; unknown names).
glc_add_test(codegen test_codegen_ops glc_codegen glc_passes glc_runtime glc_ir m)
glc_add_test(codegen test_codegen_emit glc_codegen glc_passes glc_runtime glc_ir m)
glc_add_test(codegen test_codegen_math glc_codegen glc_passes glc_runtime glc_ir m)
glc_add_test(codegen test_activation glc_codegen glc_passes glc_runtime glc_ir m)
glc_add_test(codegen test_lower_pool glc_codegen glc_passes glc_runtime glc_ir m)
glc_add_test(codegen test_lower_rnn glc_codegen glc_passes glc_runtime glc_ir m)
glc_add_test(codegen test_lower_convlstm glc_codegen glc_passes glc_runtime glc_ir m)
glc_add_test(codegen test_lower_nn glc_codegen glc_passes glc_runtime glc_ir m)
glc_add_test(codegen test_lower_mdlstm glc_codegen glc_passes glc_runtime glc_ir m)
glc_add_test(codegen test_lower_gridlstm glc_codegen glc_passes glc_runtime glc_ir m)
glc_add_test(codegen test_lower_tensor glc_codegen glc_frontend glc_passes glc_runtime glc_ir m)
glc_add_test(codegen test_lower_shape glc_codegen glc_passes glc_runtime glc_ir m)
glc_add_test(codegen test_gemm glc_codegen glc_passes glc_runtime glc_ir m)
glc_add_test(codegen test_target glc_codegen glc_ir)
