voxline_add_fuzzer(stt_messages LIBS voxline::speech)
