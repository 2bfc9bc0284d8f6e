# SPDX-License-Identifier: BSD-2-Clause
#
# Build variants and the helpers every CMakeLists.txt in the tree uses:
#
#   keel_add_library(name SOURCES ... [INCLUDES ...] [PRIVATE_INCLUDES ...] [LIBS ...])
#       one static library per variant: name, name_asan, name_tsan
#   keel_test(name SOURCES ... [LIBS ...] [THREADED] [LABELS ...] [TIMEOUT s])
#       a cmocka test per variant (TSan only when THREADED), registered with ctest
#   keel_executable(name SOURCES ... [LIBS ...])
#       a plain-variant program (tools, benchmarks, examples)
#
# LIBS name variant-suffixed libraries by their base name; the helpers add the suffix.

set(KEEL_WARNING_FLAGS
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wstrict-prototypes
    -Wmissing-prototypes -Wold-style-definition -Wcast-qual -Wformat=2 -Wundef
    -Wwrite-strings -Wvla -Wnull-dereference -Wdouble-promotion)
if(KEEL_WERROR)
    list(APPEND KEEL_WARNING_FLAGS -Werror)
endif()

set(KEEL_VARIANTS "")
set(KEEL_VARIANT_FLAGS_ "")
if(KEEL_SANITIZERS)
    list(APPEND KEEL_VARIANTS _asan _tsan)
    set(KEEL_VARIANT_FLAGS__asan
        -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
    set(KEEL_VARIANT_FLAGS__tsan -fsanitize=thread -fno-omit-frame-pointer)
endif()
# The plain variant always exists and comes first.
list(PREPEND KEEL_VARIANTS "plain")

function(keel_variant_suffix variant out)
    if(variant STREQUAL "plain")
        set(${out} "" PARENT_SCOPE)
    else()
        set(${out} "${variant}" PARENT_SCOPE)
    endif()
endfunction()

function(keel_apply_variant target variant)
    target_compile_options(${target} PRIVATE ${KEEL_WARNING_FLAGS})
    if(NOT variant STREQUAL "plain")
        target_compile_options(${target} PRIVATE ${KEEL_VARIANT_FLAGS_${variant}})
        target_link_options(${target} PRIVATE ${KEEL_VARIANT_FLAGS_${variant}})
    endif()
endfunction()

function(keel_add_library name)
    cmake_parse_arguments(A "" "" "SOURCES;INCLUDES;PRIVATE_INCLUDES;LIBS;SYSLIBS;DEFINES" ${ARGN})
    foreach(variant ${KEEL_VARIANTS})
        keel_variant_suffix(${variant} sfx)
        set(t ${name}${sfx})
        add_library(${t} STATIC ${A_SOURCES})
        target_include_directories(${t} PUBLIC ${A_INCLUDES} PRIVATE ${A_PRIVATE_INCLUDES})
        target_compile_definitions(${t} PRIVATE ${A_DEFINES})
        foreach(lib ${A_LIBS})
            target_link_libraries(${t} PUBLIC ${lib}${sfx})
        endforeach()
        target_link_libraries(${t} PUBLIC ${A_SYSLIBS})
        keel_apply_variant(${t} ${variant})
        if(NOT variant STREQUAL "plain")
            set_target_properties(${t} PROPERTIES EXCLUDE_FROM_ALL OFF)
        endif()
    endforeach()
endfunction()

find_library(CMOCKA_LIBRARY cmocka)
find_path(CMOCKA_INCLUDE_DIR cmocka.h)
if(NOT CMOCKA_LIBRARY OR NOT CMOCKA_INCLUDE_DIR)
    message(FATAL_ERROR "cmocka not found: install libcmocka-dev (./keel test does this for you)")
endif()

function(keel_test name)
    cmake_parse_arguments(A "THREADED;NO_SANITIZERS" "TIMEOUT" "SOURCES;LIBS;LABELS;ARGS" ${ARGN})
    if(NOT A_TIMEOUT)
        set(A_TIMEOUT 300)
    endif()
    foreach(variant ${KEEL_VARIANTS})
        if(variant STREQUAL "_tsan" AND NOT A_THREADED)
            continue()
        endif()
        if(A_NO_SANITIZERS AND NOT variant STREQUAL "plain")
            continue()
        endif()
        keel_variant_suffix(${variant} sfx)
        set(t ${name}${sfx})
        add_executable(${t} ${A_SOURCES})
        target_include_directories(${t} PRIVATE ${CMOCKA_INCLUDE_DIR} ${PROJECT_SOURCE_DIR}/tests)
        target_compile_definitions(${t} PRIVATE _GNU_SOURCE
            KEEL_TEST_DATA="${PROJECT_SOURCE_DIR}/tests/data")
        foreach(lib ${A_LIBS})
            target_link_libraries(${t} PRIVATE ${lib}${sfx})
        endforeach()
        target_link_libraries(${t} PRIVATE ${CMOCKA_LIBRARY})
        keel_apply_variant(${t} ${variant})
        add_test(NAME ${t} COMMAND ${t} ${A_ARGS})
        if(variant STREQUAL "plain")
            set(vlabel plain)
        else()
            string(SUBSTRING ${variant} 1 -1 vlabel)
        endif()
        set_tests_properties(${t} PROPERTIES
            TIMEOUT ${A_TIMEOUT}
            LABELS "${A_LABELS};${vlabel}"
            ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1;UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1;TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1")
    endforeach()
endfunction()

function(keel_executable name)
    cmake_parse_arguments(A "" "" "SOURCES;LIBS;SYSLIBS" ${ARGN})
    add_executable(${name} ${A_SOURCES})
    target_compile_definitions(${name} PRIVATE _GNU_SOURCE) # host programs
    target_link_libraries(${name} PRIVATE ${A_LIBS} ${A_SYSLIBS})
    keel_apply_variant(${name} plain)
endfunction()
