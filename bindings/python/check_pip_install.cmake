# `pip install --no-build-isolation --no-index` of a copy of bindings/python (so the source tree
# gets no build/ or egg-info) into a fresh venv over PYTHON, then, from outside the source tree,
# imports the installed package with VOXLINE_LIBRARY (set by the test) pointing at the built
# libvoxline: the package comes from the venv, its metadata version and voxline.version() are
# VERSION, and a tokenizer counts "hello world" as 2 tokens.
# -D PYTHON=<python3> -D SOURCE=<bindings/python> -D WORK=<scratch dir> -D VERSION=<project version>
# [-D IMPORT_ENV=<VAR=value|...>]: set for the import only (a sanitizer runtime to preload: venv
# creation and pip under a preloaded TSan runtime take minutes).
cmake_policy(VERSION 3.25)
string(REPLACE "|" ";" IMPORT_ENV "${IMPORT_ENV}")
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/src)
file(COPY ${SOURCE}/pyproject.toml ${SOURCE}/voxline DESTINATION ${WORK}/src
  PATTERN __pycache__ EXCLUDE)

function(run what)
  execute_process(COMMAND ${ARGN} WORKING_DIRECTORY ${WORK} RESULT_VARIABLE rc OUTPUT_VARIABLE out
    ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

# --system-site-packages: pip and setuptools come from the system, nothing from the network.
run("venv" ${PYTHON} -m venv --without-pip --system-site-packages ${WORK}/venv)
set(ENV{PIP_DISABLE_PIP_VERSION_CHECK} 1)
run("pip install" ${WORK}/venv/bin/python -m pip install --no-build-isolation --no-index --no-deps
  --no-cache-dir ${WORK}/src)
message(STATUS "${last_output}")
run("import" ${CMAKE_COMMAND} -E env ${IMPORT_ENV} ${WORK}/venv/bin/python -c [=[
import importlib.metadata, os, sys, voxline
venv = os.path.realpath(sys.prefix)
assert os.path.realpath(voxline.__file__).startswith(venv + os.sep), voxline.__file__
with voxline.Tokenizer("o200k_base") as tok:
    print(voxline.version(), importlib.metadata.version("voxline"), tok.count("hello world"))
]=])
string(STRIP "${last_output}" got)
if(NOT got STREQUAL "${VERSION} ${VERSION} 2")
  message(FATAL_ERROR "installed package printed '${got}', expected '${VERSION} ${VERSION} 2' "
    "(library version, pyproject.toml version, token count)")
endif()
message(STATUS "installed voxline: ${got}")
