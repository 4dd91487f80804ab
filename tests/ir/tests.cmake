# ir/ layer tests: shape inference, verifier, printer, interpreter, graph utilities.
glc_add_test(ir test_infer glc_ir)
glc_add_test(ir test_verify glc_ir)
glc_add_test(ir test_print glc_ir)
glc_add_test(ir test_interp glc_ir)
glc_add_test(ir test_graph glc_ir)
glc_add_test(ir test_pool glc_ir)
glc_add_test(ir test_rnn glc_ir)
glc_add_test(ir test_gridlstm glc_ir)
