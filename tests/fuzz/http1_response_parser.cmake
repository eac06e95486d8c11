voxline_add_fuzzer(http1_response_parser LIBS voxline::net)
