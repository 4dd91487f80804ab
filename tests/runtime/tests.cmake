# runtime/ tests. test_threads runs one compiled model from two threads; in the normal
# build it is compiled with ThreadSanitizer (not with ASan, which cannot be combined).
glc_add_test(runtime test_threads glc_frontend glc_passes glc_codegen glc_runtime glc_ir m
             Threads::Threads)
if(NOT GLC_SANITIZE)
  target_compile_options(test_threads PRIVATE -fsanitize=thread)
  target_link_options(test_threads PRIVATE -fsanitize=thread)
endif()
