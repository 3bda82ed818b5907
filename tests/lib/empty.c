/* keeps the test helper library non-empty */
typedef int el_test_lib_nonempty;
