# The compiler as a library (compiler/include/glc_compile.h), linked as the shared
# libglc_compiler.so an embedder gets; the frontend only to read the example's .npy files.
glc_add_test(compiler test_compile_api glc_compiler_shared glc_runtime glc_frontend m
             Threads::Threads)
target_compile_definitions(test_compile_api PRIVATE GLC_VERSION="${PROJECT_VERSION}")
set_tests_properties(test_compile_api PROPERTIES TIMEOUT 120)
