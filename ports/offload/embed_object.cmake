# Writes OUT, a header holding the bytes of IN (a compiled BPF object) as VAR (default
# kOffloadObject) in NAMESPACE (default lvs::ports).
if(NOT VAR)
  set(VAR kOffloadObject)
endif()
if(NOT NAMESPACE)
  set(NAMESPACE lvs::ports)
endif()
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
get_filename_component(src "${IN}" NAME)
file(WRITE "${OUT}" "#pragma once\n// Generated from ${src} by ports/offload/embed_object.cmake.\n#include <cstdint>\nnamespace ${NAMESPACE} {\ninline constexpr uint8_t ${VAR}[] = {${bytes}};\n}\n")
