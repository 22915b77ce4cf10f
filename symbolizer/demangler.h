// Symbol demangling: C++ (Itanium, also Rust legacy which uses the same scheme) and Rust v0,
// through LLVM's packaged demangler; names are shortened to `ns::Class<T>::method` (no
// return type, parameter lists or qualifiers) unless a full signature is asked for.
#pragma once

#include <string>
#include <string_view>

namespace kiln::symbolizer {

// Demangled form of `symbol`; `symbol` itself when it is not a mangled name.
std::string demangle_symbol(std::string_view symbol, bool full_signature);

// Removes the parameter lists (and cv/ref qualifiers) of enclosing functions in a demangled
// name whose own parameters are already gone: "f(int)::'lambda'()::operator()" becomes
// "f::'lambda'()::operator()". Lambda signatures and `operator()` are part of the name and kept.
std::string strip_enclosing_parameters(std::string_view name);

}  // namespace kiln::symbolizer
