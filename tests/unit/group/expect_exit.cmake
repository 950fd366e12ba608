# Runs COMMAND (a ;-list) and fails unless it exits with EXPECT: ctest itself
# only tells zero from non-zero, and the checker's 1 and 2 mean different things.
execute_process(COMMAND ${COMMAND} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL EXPECT)
  message(FATAL_ERROR "exit status ${rc}, expected ${EXPECT}")
endif()
