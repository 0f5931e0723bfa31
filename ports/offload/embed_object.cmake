# Writes OUT, a header holding the bytes of IN (the compiled BPF object) as kOffloadObject.
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE "${OUT}" "#pragma once\n// Generated from offload.bpf.c by ports/offload/embed_object.cmake.\n#include <cstdint>\nnamespace lvs::ports {\ninline constexpr uint8_t kOffloadObject[] = {${bytes}};\n}\n")
