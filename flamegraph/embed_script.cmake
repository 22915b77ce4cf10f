# Turns a JavaScript file into a C++ string constant (cmake -DINPUT= -DOUTPUT= -P this file).
# The script ends up in a CDATA section of the SVG, so it must not contain "]]>".
file(READ "${INPUT}" content)
string(FIND "${content}" "]]>" cdata_end)
if(NOT cdata_end EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains ]]>, which would end the SVG's CDATA section")
endif()
string(FIND "${content}" ")kiln_script\"" delimiter)
if(NOT delimiter EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw string delimiter )kiln_script\"")
endif()
file(WRITE "${OUTPUT}"
  "// Generated from ${INPUT} by embed_script.cmake: do not edit.\n"
  "#include \"flamegraph/flamegraph_script.h\"\n\n"
  "namespace kiln::flamegraph {\n"
  "const std::string_view kFlamegraphScript = R\"kiln_script(${content})kiln_script\";\n"
  "}\n")
