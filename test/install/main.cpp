// A program outside Ember's tree, built against the installed package.
#include <ember/ember.h>

#include <iostream>

int main() {
  ember::Tensor x = ember::tensor({{1.0, 2.0}, {3.0, 4.0}});
  std::cout << (x.matmul(x) + 1.0).relu() << "\n";
  return 0;
}
