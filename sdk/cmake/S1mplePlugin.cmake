# s1mple_add_plugin(NAME SOURCES...): a plugin package, libNAME.so, a shared library that s1mple
# loads (dlopen). It links S1mple::plugin only: the engine's symbols come from the s1mple process
# that loads it (or from S1mple::harness in a unit test), so it is never linked with -z defs.
function(s1mple_add_plugin name)
  add_library(${name} MODULE ${ARGN})
  target_link_libraries(${name} PRIVATE S1mple::plugin)
  set_target_properties(${name} PROPERTIES PREFIX "lib" POSITION_INDEPENDENT_CODE ON)
endfunction()
