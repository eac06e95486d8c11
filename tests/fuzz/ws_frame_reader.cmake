voxline_add_fuzzer(ws_frame_reader LIBS voxline::net)
