#===- EmberDependencies.cmake - Every dependency is required ---------------===#
#
# Part of Ember. Nothing the build, the tests or the examples use is an
# optional feature: a missing dependency stops the configure with one
# message naming the Debian package that provides it. scripts/deps.sh
# installs every one of them, and test/scripts/check-deps.py proves that
# its list covers every header and library the build used.
#
#===------------------------------------------------------------------------===#

# ember_require_package(<Name> <debian-package> [find_package arguments...])
macro(ember_require_package name debian)
  find_package(${name} ${ARGN} QUIET)
  if(NOT ${name}_FOUND)
    message(FATAL_ERROR "Ember needs ${name}, which was not found: install "
      "the Debian package '${debian}' (scripts/deps.sh installs every "
      "dependency: run it, remove the build folder and configure again)")
  endif()
endmacro()

# ember_require_program(<VAR> <program> <debian-package> [HINTS dirs...])
macro(ember_require_program var program debian)
  find_program(${var} ${program} ${ARGN})
  if(NOT ${var})
    message(FATAL_ERROR "Ember needs the program '${program}', which was not "
      "found: install the Debian package '${debian}' (scripts/deps.sh "
      "installs every dependency)")
  endif()
endmacro()
