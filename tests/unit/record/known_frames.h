// Two functions of the test program with a known caller/callee relation, whose addresses the
// record tests symbolize: &kiln_test_callee + 1 is inside the callee, kiln_test_caller()
// returns a return address inside the caller.
#pragma once

#include <cstdint>

extern "C" uintptr_t kiln_test_callee();
extern "C" uintptr_t kiln_test_caller();
