// "a, b, c": lists of names in error messages.
#pragma once

#include <string>

namespace ke {

template <typename Names>
std::string join(const Names& names) {
  std::string text;
  for (const auto& name : names) {
    if (!text.empty()) text += ", ";
    text += name;
  }
  return text;
}

}  // namespace ke
