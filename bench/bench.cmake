# Benchmark programs (bench/*.c); `make bench` runs bench/run.sh, which builds them in a
# release build directory. Never part of the timed or untimed test suites.
add_executable(bench-mkimage ${CMAKE_SOURCE_DIR}/bench/mkimage.c)
add_executable(bench-flash ${CMAKE_SOURCE_DIR}/bench/flash.c)
target_include_directories(bench-flash PRIVATE ${CMAKE_SOURCE_DIR}/src ${CMAKE_SOURCE_DIR}/sim)
target_link_libraries(bench-flash PRIVATE espload_lib)
