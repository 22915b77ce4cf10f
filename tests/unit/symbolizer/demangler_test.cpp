// Demangled names as flame graphs show them: no return types, parameter lists or qualifiers.
#include "symbolizer/demangler.h"

#include <gtest/gtest.h>

namespace kiln::symbolizer {
namespace {

TEST(Demangler, ShortNamesKeepScopesAndTemplateArguments) {
  EXPECT_EQ(demangle_symbol("_ZN2ns3FooIiE3barEv", false), "ns::Foo<int>::bar");
  EXPECT_EQ(demangle_symbol("_ZNK2ns3BoxIlE5twiceEv", false), "ns::Box<long>::twice");
  // A template function's return type is not part of the name.
  EXPECT_EQ(demangle_symbol("_ZN2ns1fIiEESt6vectorIT_SaIS2_EEv", false), "ns::f<int>");
  EXPECT_EQ(demangle_symbol("_ZN12_GLOBAL__N_14implEi", false), "(anonymous namespace)::impl");
}

TEST(Demangler, OperatorsKeepTheirBrackets) {
  EXPECT_EQ(demangle_symbol("_ZNK3FoodvERKS_", false), "Foo::operator/");
  EXPECT_EQ(demangle_symbol("_ZN3FooclEi", false), "Foo::operator()");
  EXPECT_EQ(demangle_symbol("_ZN3FoolsEi", false), "Foo::operator<<");
  EXPECT_EQ(demangle_symbol("_ZN3FooptEv", false), "Foo::operator->");
  EXPECT_EQ(demangle_symbol("_ZN8geometryltIdEEbRKNS_5ShapeIT_EES5_", false),
            "geometry::operator<<double>");
}

TEST(Demangler, LambdasKeepTheirSignatureButEnclosingFunctionsLoseTheirs) {
  EXPECT_EQ(demangle_symbol("_ZZ4mainENKUliE_clEi", false), "main::'lambda'(int)::operator()");
  EXPECT_EQ(demangle_symbol("_ZZN2ns3Foo3runEvENKUlvE0_clEv", false),
            "ns::Foo::run::'lambda0'()::operator()");
  EXPECT_EQ(demangle_symbol("_ZZN1A1fEiENK1B1gEv", false), "A::f::B::g");
}

TEST(Demangler, ClonesAreNamedLikeTheirFunction) {
  EXPECT_EQ(demangle_symbol("_ZNK2ns3BoxIlE5twiceEv.isra.0", false), "ns::Box<long>::twice");
  EXPECT_EQ(demangle_symbol("_Z3fooi.constprop.0", false), "foo");
  EXPECT_EQ(demangle_symbol("_Z3fooi.constprop.0", true), "foo(int) (.constprop.0)");
}

TEST(Demangler, FullSignaturesOnRequest) {
  EXPECT_EQ(demangle_symbol("_ZN2ns1fIiEESt6vectorIT_SaIS2_EEv", true),
            "std::vector<int, std::allocator<int> > ns::f<int>()");
  EXPECT_EQ(demangle_symbol("_ZZ4mainENKUliE_clEi", true),
            "main::'lambda'(int)::operator()(int) const");
}

TEST(Demangler, NonFunctionsAndPlainNames) {
  EXPECT_EQ(demangle_symbol("_ZTV3Foo", false), "vtable for Foo");
  EXPECT_EQ(demangle_symbol("memcpy", false), "memcpy");
  EXPECT_EQ(demangle_symbol("_Zbogus", false), "_Zbogus");
  EXPECT_EQ(demangle_symbol("", false), "");
}

TEST(Demangler, Rust) {
  // Legacy: Itanium-like, with a hash component and $-escapes.
  EXPECT_EQ(demangle_symbol("_ZN4core3fmt5write17h0123456789abcdefE", false), "core::fmt::write");
  EXPECT_EQ(
      demangle_symbol(
          "_ZN4core3ptr42drop_in_place$LT$alloc..string..String$GT$17h0123456789abcdefE", false),
      "core::ptr::drop_in_place<alloc::string::String>");
  EXPECT_EQ(demangle_symbol("_ZN4core3fmt5write17h0123456789abcdefE", true),
            "core::fmt::write::h0123456789abcdef");
  // v0.
  EXPECT_EQ(demangle_symbol("_RNvCs1234_7mycrate3foo", false), "mycrate::foo");
  EXPECT_EQ(demangle_symbol("_RNvNtCs1234_7mycrate4util5parse", false), "mycrate::util::parse");
}

}  // namespace
}  // namespace kiln::symbolizer
