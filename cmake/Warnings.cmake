# Warnings are errors everywhere in the project's own code.
add_library(cohort_warnings INTERFACE)
target_compile_options(cohort_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Werror -Wshadow -Wnon-virtual-dtor
  -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual
  -Wconversion -Wsign-conversion -Wdouble-promotion
  -Wformat=2 -Wimplicit-fallthrough
  # Option structs with defaults are filled by (designated) initialisers that
  # name only what differs; GCC warns about the rest even then.
  -Wno-missing-field-initializers)
# GCC 12 at -O3 reports -Wrestrict inside libstdc++'s string operator+ for
# code that is correct (GCC bug 105329); the warning stays on for clang.
target_compile_options(cohort_warnings INTERFACE $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>)
