# Finds every third-party dependency; a missing one stops configure naming its Debian package.
find_package(Threads REQUIRED)
find_package(PkgConfig QUIET)

macro(voxline_require found what debian_pkg)
  if(NOT ${found})
    message(FATAL_ERROR "voxline: ${what} not found. Install it with: apt-get install ${debian_pkg}")
  endif()
endmacro()

find_package(CURL 7.80 QUIET)
voxline_require(CURL_FOUND "libcurl (>= 7.80)" libcurl4-openssl-dev)

find_package(SQLite3 QUIET)
voxline_require(SQLite3_FOUND "SQLite3" libsqlite3-dev)

find_package(libwebsockets 4.1 CONFIG QUIET)
voxline_require(libwebsockets_FOUND "libwebsockets (>= 4.1)" libwebsockets-dev)

find_package(fmt 9 CONFIG QUIET)
voxline_require(fmt_FOUND "fmt (>= 9)" libfmt-dev)

find_package(RapidJSON 1.1 CONFIG QUIET)
voxline_require(RapidJSON_FOUND "RapidJSON (>= 1.1)" rapidjson-dev)
if(NOT TARGET voxline::rapidjson)
  add_library(voxline_rapidjson INTERFACE)
  target_include_directories(voxline_rapidjson SYSTEM INTERFACE ${RAPIDJSON_INCLUDE_DIRS})
  # RapidJSON 1.1 lacks std::string_view support switches; we convert explicitly instead.
  add_library(voxline::rapidjson ALIAS voxline_rapidjson)
endif()

voxline_require(PKG_CONFIG_FOUND "pkg-config" pkg-config)
# hiredis' own CMake config is broken on Debian 12 (find_package(Hiredis CONFIG) fails in
# HiredisConfigVersion.cmake without a version, and gives only variables with one): use pkg-config.
pkg_check_modules(HIREDIS QUIET IMPORTED_TARGET hiredis>=0.14)
voxline_require(HIREDIS_FOUND "hiredis (>= 0.14)" libhiredis-dev)

# libpq: the PostgreSQL backend of Database (src/storage/postgres).
pkg_check_modules(LIBPQ QUIET IMPORTED_TARGET libpq>=13)
voxline_require(LIBPQ_FOUND "libpq (>= 13)" libpq-dev)

# libuv runs every slot loop; libwebsockets drives it through its evlib plugin, which it
# dlopen()s at context creation (package libwebsockets-evlib-uv: a runtime dependency).
pkg_check_modules(LIBUV QUIET IMPORTED_TARGET libuv>=1.44)
voxline_require(LIBUV_FOUND "libuv (>= 1.44)" libuv1-dev)
find_library(VOXLINE_LWS_EVLIB_UV websockets-evlib_uv)
voxline_require(VOXLINE_LWS_EVLIB_UV "the libwebsockets libuv plugin" libwebsockets-evlib-uv)

# libspeexdsp's resampler (src/audio/resampler.cpp), the one VoIP stacks use.
pkg_check_modules(SPEEXDSP QUIET IMPORTED_TARGET speexdsp>=1.2)
voxline_require(SPEEXDSP_FOUND "libspeexdsp (>= 1.2)" libspeexdsp-dev)

find_package(OpenSSL QUIET)
voxline_require(OPENSSL_FOUND "OpenSSL" libssl-dev)

if(VOXLINE_BUILD_TESTS)
  find_package(doctest 2.4 CONFIG QUIET)
  voxline_require(doctest_FOUND "doctest (>= 2.4)" doctest-dev)
endif()
