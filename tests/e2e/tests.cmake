# End-to-end tests: spawn the glc driver on tests/fixtures/e2e (made by gen_fixtures.py
# there, committed) and compare compiled and interpreted outputs with numpy's.
glc_add_test(e2e test_e2e glc_codegen glc_frontend glc_ir)
add_dependencies(test_e2e glc)
set_tests_properties(test_e2e PROPERTIES TIMEOUT 120)
