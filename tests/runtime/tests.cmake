# runtime/ tests. test_threads runs one compiled model from two threads and checks the
# thread pool; in the normal build it is compiled with ThreadSanitizer (not with ASan,
# which cannot be combined), runtime/pool.c included so TSan sees the pool's atomics.
glc_add_test(runtime test_threads glc_frontend glc_passes glc_codegen glc_runtime glc_ir m
             Threads::Threads)
target_sources(test_threads PRIVATE ${CMAKE_SOURCE_DIR}/runtime/pool.c)
target_include_directories(test_threads PRIVATE ${CMAKE_SOURCE_DIR}/runtime/include)
if(NOT GLC_SANITIZE)
  target_compile_options(test_threads PRIVATE -fsanitize=thread)
  target_link_options(test_threads PRIVATE -fsanitize=thread)
endif()
# Bad input dims at run time: a symbolic model's plan()/invoke() refuse them and write
# nothing (run it in the ASan build too).
glc_add_test(runtime test_bad_dims glc_codegen glc_passes glc_runtime glc_ir m)
target_include_directories(test_bad_dims PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/codegen)
