voxline_add_fuzzer(tts_messages LIBS voxline::speech)
