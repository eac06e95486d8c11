voxline_add_fuzzer(sse_parser LIBS voxline::net)
