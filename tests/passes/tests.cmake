glc_add_test(passes test_fold_constants glc_passes glc_ir)
glc_add_test(passes test_dce glc_passes glc_ir)
glc_add_test(passes test_eliminate_identity glc_passes glc_ir)
glc_add_test(passes test_pipeline glc_passes glc_ir)
