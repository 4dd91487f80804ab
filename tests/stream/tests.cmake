# Streaming inference: passes/stream.c, runtime/stream.c and `glc --stream` (the driver
# on tests/fixtures/stream, made by gen_fixtures.py there, committed).
glc_add_test(stream test_stream glc_passes glc_codegen glc_runtime glc_ir m)
target_include_directories(test_stream PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/codegen)
add_dependencies(test_stream glc)
set_tests_properties(test_stream PROPERTIES TIMEOUT 300)
