func.func @binary_other_types(%h: tensor<8xf16>, %bf: tensor<8xbf16>, %i: tensor<8xi32>,
                              %b: tensor<8xi8>, %s: tensor<f32>) {
  %0 = ember.add %h, %h : tensor<8xf16>
  %1 = ember.mul %bf, %bf : tensor<8xbf16>
  %2 = ember.sub %i, %i : tensor<8xi32>
  %3 = ember.div %b, %b : tensor<8xi8>
  %4 = ember.add %s, %s : tensor<f32>
  return
}
