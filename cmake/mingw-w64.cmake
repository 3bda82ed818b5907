# Cross-compiles espload for 64-bit Windows with Debian's MinGW-w64 toolchain
# (apt-get install gcc-mingw-w64-x86-64 libz-mingw-w64-dev):
#   cmake -S . -B build-win -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake -DEL_TESTS=OFF
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(EL_MINGW_TRIPLE x86_64-w64-mingw32)

find_program(CMAKE_C_COMPILER NAMES ${EL_MINGW_TRIPLE}-gcc-posix ${EL_MINGW_TRIPLE}-gcc REQUIRED)
find_program(CMAKE_RC_COMPILER NAMES ${EL_MINGW_TRIPLE}-windres)
set(CMAKE_FIND_ROOT_PATH /usr/${EL_MINGW_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config must look at the MinGW tree only (zlib.pc from libz-mingw-w64-dev)
set(ENV{PKG_CONFIG_LIBDIR} /usr/${EL_MINGW_TRIPLE}/lib/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")

# a self-contained .exe: no libgcc/libwinpthread DLLs to ship
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc")
# for running the result: wine64 (tests/extra/windows.sh)
set(CMAKE_CROSSCOMPILING_EMULATOR env WINEDEBUG=-all wine)
