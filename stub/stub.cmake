# Built-in flasher stubs. Until the cross builds land, no stub is embedded.
add_library(el_stub_blobs STATIC ${CMAKE_SOURCE_DIR}/stub/builtin_none.c)
target_include_directories(el_stub_blobs PUBLIC ${CMAKE_SOURCE_DIR}/include)
