# Built-in flasher stubs: the portable core (stub/core) plus a chip hardware layer
# (stub/hal/<chip>) cross-compiled for each chip, converted by stub/tools/stub_embed.c into
# a C file (el_builtin_stub) and esptool-format JSON files in ${CMAKE_BINARY_DIR}/stub/json.
# Without a cross compiler the chip is left out; without any, no stub is embedded.
#   ESP32:    xtensa-lx106-elf-gcc (call0 ABI; runs on the ESP32's LX6)
#   ESP32-C3: riscv64-unknown-elf-gcc -march=rv32imc_zicsr -mabi=ilp32

set(EL_STUB_DIR ${CMAKE_SOURCE_DIR}/stub)
set(EL_STUB_OUT ${CMAKE_BINARY_DIR}/stub)
find_program(EL_XTENSA_GCC NAMES xtensa-lx106-elf-gcc)
find_program(EL_RISCV_GCC NAMES riscv64-unknown-elf-gcc riscv32-esp-elf-gcc)

set(EL_STUB_COMMON_SRC
    ${EL_STUB_DIR}/hal/common/hal_chip.c
    ${EL_STUB_DIR}/hal/common/rt.c
    ${EL_STUB_DIR}/core/stub_core.c
    ${EL_STUB_DIR}/core/stub_inflate.c
    ${EL_STUB_DIR}/core/stub_md5.c)
file(GLOB EL_STUB_DEPS CONFIGURE_DEPENDS ${EL_STUB_DIR}/core/*.h ${EL_STUB_DIR}/include/*.h
     ${EL_STUB_DIR}/hal/common/*)
set(EL_STUB_CFLAGS -Os -std=c11 -ffreestanding -fno-builtin -fno-tree-loop-distribute-patterns
    -ffunction-sections -fdata-sections -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes
    -Wno-unused-parameter -I${EL_STUB_DIR}/include -I${EL_STUB_DIR}/core
    -I${EL_STUB_DIR}/hal/common)
set(EL_STUB_LDFLAGS -nostdlib -Wl,--gc-sections -L${EL_STUB_DIR}/hal/common)

set(EL_STUB_ELFS)
# el_stub_cross(chip compiler extra_flags...): builds ${EL_STUB_OUT}/stub_<chip>.elf
function(el_stub_cross chip cc)
    set(hal ${EL_STUB_DIR}/hal/${chip})
    set(elf ${EL_STUB_OUT}/stub_${chip}.elf)
    file(GLOB hal_files CONFIGURE_DEPENDS ${hal}/*)
    add_custom_command(OUTPUT ${elf}
        COMMAND ${CMAKE_COMMAND} -E make_directory ${EL_STUB_OUT}
        COMMAND ${cc} ${ARGN} ${EL_STUB_CFLAGS} -I${hal} ${EL_STUB_LDFLAGS} -T${hal}/stub.ld
                -Wl,-Map,${EL_STUB_OUT}/stub_${chip}.map -o ${elf}
                ${hal}/start.S ${hal}/chip_init.c ${EL_STUB_COMMON_SRC} ${EL_STUB_LIBS_${chip}}
        DEPENDS ${EL_STUB_COMMON_SRC} ${EL_STUB_DEPS} ${hal_files}
        COMMENT "Cross-building the ${chip} flasher stub"
        VERBATIM)
    set(EL_STUB_ELFS ${EL_STUB_ELFS} ${chip}=${elf} PARENT_SCOPE)
    set(EL_STUB_ELF_FILES ${EL_STUB_ELF_FILES} ${elf} PARENT_SCOPE)
endfunction()

set(EL_STUB_LIBS_esp32 -lgcc) # only for helpers the compiler might call; division is in rt.c
if(EL_XTENSA_GCC)
    el_stub_cross(esp32 ${EL_XTENSA_GCC} -mabi=call0)
else()
    message(STATUS "espload: xtensa-lx106-elf-gcc not found: no built-in ESP32 flasher stub")
endif()
if(EL_RISCV_GCC)
    # no libgcc: the default (rv64) multilib would not link, and RV32IMC needs nothing from it
    el_stub_cross(esp32c3 ${EL_RISCV_GCC} -march=rv32imc_zicsr -mabi=ilp32 -mno-relax)
else()
    message(STATUS "espload: riscv64-unknown-elf-gcc not found: no built-in ESP32-C3 flasher stub")
endif()

if(EL_STUB_ELFS)
    add_executable(el_stub_embed ${EL_STUB_DIR}/tools/stub_embed.c)
    set(blobs_c ${EL_STUB_OUT}/el_stub_blobs.c)
    add_custom_command(OUTPUT ${blobs_c}
        COMMAND ${CMAKE_COMMAND} -E make_directory ${EL_STUB_OUT}/json
        COMMAND el_stub_embed ${blobs_c} ${EL_STUB_OUT}/json ${EL_STUB_ELFS}
        DEPENDS el_stub_embed ${EL_STUB_ELF_FILES}
        COMMENT "Embedding the flasher stubs"
        VERBATIM)
    add_library(el_stub_blobs STATIC ${blobs_c})
    target_compile_definitions(el_stub_blobs PUBLIC EL_HAVE_BUILTIN_STUBS=1)
else()
    message(STATUS "espload: no stub cross compiler found: built without flasher stubs")
    add_library(el_stub_blobs STATIC ${EL_STUB_DIR}/builtin_none.c)
endif()
target_include_directories(el_stub_blobs PUBLIC ${CMAKE_SOURCE_DIR}/include)
