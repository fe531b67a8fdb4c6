# A core library is compiled twice from the same sources (STYLE.md rule 1):
#   <name>_kernel : OBJECT library with the freestanding flags, linked into the image
#   <name>_host   : static library for the host, with ASan/UBSan, for GoogleTest and fuzzers
# Seams (panic, locks, guest memory...) are resolved at link time: the image links the
# kernel implementations, host tests link the fakes in tests/host/fakes.
set(HV_SANITIZE_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)

function(hv_core_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPENDS" ${ARGN})
  add_library(${name}_kernel OBJECT ${ARG_SOURCES})
  hv_freestanding(${name}_kernel)
  if(HV_HOST_TESTS)
    add_library(${name}_host STATIC ${ARG_SOURCES})
    target_include_directories(${name}_host PUBLIC ${CMAKE_SOURCE_DIR} ${CMAKE_SOURCE_DIR}/hypervisor)
    target_compile_options(${name}_host PRIVATE ${HV_WARNINGS} ${HV_SANITIZE_FLAGS})
    target_compile_definitions(${name}_host PUBLIC HV_HOST=1)
    target_link_options(${name}_host PUBLIC ${HV_SANITIZE_FLAGS})
    foreach(dep ${ARG_DEPENDS})
      target_link_libraries(${name}_host PUBLIC ${dep}_host)
    endforeach()
  endif()
endfunction()
