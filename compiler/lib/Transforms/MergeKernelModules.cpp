//===- MergeKernelModules.cpp - All outlined kernels in one gpu.module ----===//
//
// Part of Ember. See EmberGPUMergeKernelModulesPass in Passes.td. One
// gpu.module per graph means one PTX module (one cuModuleLoadData, one JIT
// compilation) and a --emit=ptx file ptxas accepts as it is.
//
//===----------------------------------------------------------------------===//

#include "ember/Transforms/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/AttrTypeSubElements.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringSet.h"

namespace mlir::ember {
#define GEN_PASS_DEF_EMBERGPUMERGEKERNELMODULESPASS
#include "ember/Transforms/Passes.h.inc"
} // namespace mlir::ember

using namespace mlir;

namespace {

/// A gpu.module's attributes other than its name: modules merge only when
/// these (targets, offloading handler, ...) are equal.
DictionaryAttr attributesBesidesName(gpu::GPUModuleOp module) {
  NamedAttrList attrs(module->getAttrDictionary());
  attrs.erase(SymbolTable::getSymbolAttrName());
  return attrs.getDictionary(module->getContext());
}

/// The symbols defined directly in `module`, in order.
SmallVector<Operation *> symbolsOf(gpu::GPUModuleOp module) {
  SmallVector<Operation *> symbols;
  for (Operation &op : module.getBody()->getOperations())
    if (isa<SymbolOpInterface>(op))
      symbols.push_back(&op);
  return symbols;
}

/// A replacement that is not replaced again (a renamed reference's parts
/// must not be renamed once more).
using Replaced = std::optional<std::pair<Attribute, WalkResult>>;

struct EmberGPUMergeKernelModulesPass
    : mlir::ember::impl::EmberGPUMergeKernelModulesPassBase<
          EmberGPUMergeKernelModulesPass> {
  void runOnOperation() override {
    ModuleOp top = getOperation();
    MLIRContext *ctx = &getContext();
    SmallVector<gpu::GPUModuleOp> all(top.getOps<gpu::GPUModuleOp>());
    if (all.size() < 2)
      return;
    gpu::GPUModuleOp dest = all.front();
    DictionaryAttr destAttrs = attributesBesidesName(dest);
    SmallVector<gpu::GPUModuleOp> merged;
    for (gpu::GPUModuleOp m : all)
      if (attributesBesidesName(m) == destAttrs)
        merged.push_back(m);
    if (merged.size() < 2)
      return;

    // New names. A module's only symbol takes the module's (unique) name
    // first; the symbols of modules holding several are <module>_<symbol>,
    // with a numeric suffix where that is taken.
    llvm::DenseMap<Operation *, StringAttr> newName;
    llvm::StringSet<> taken;
    for (gpu::GPUModuleOp m : merged) {
      SmallVector<Operation *> symbols = symbolsOf(m);
      if (symbols.size() == 1) {
        newName[symbols.front()] = m.getSymNameAttr();
        taken.insert(m.getSymName());
      }
    }
    for (gpu::GPUModuleOp m : merged) {
      SmallVector<Operation *> symbols = symbolsOf(m);
      if (symbols.size() == 1)
        continue;
      for (Operation *sym : symbols) {
        std::string base = (m.getSymName() + "_" +
                            SymbolTable::getSymbolName(sym).getValue())
                               .str();
        std::string name = base;
        for (unsigned i = 0; taken.contains(name); ++i)
          name = base + "_" + std::to_string(i);
        taken.insert(name);
        newName[sym] = StringAttr::get(ctx, name);
      }
    }

    // References inside each module (flat, to its own symbols) and outside
    // (@module::@symbol) change together, so renames never mix.
    llvm::DenseMap<Attribute, Attribute> outside;
    for (gpu::GPUModuleOp m : merged) {
      llvm::DenseMap<StringAttr, StringAttr> inside;
      for (Operation *sym : symbolsOf(m)) {
        StringAttr oldName = SymbolTable::getSymbolName(sym);
        StringAttr name = newName.lookup(sym);
        inside[oldName] = name;
        outside[SymbolRefAttr::get(m.getSymNameAttr(),
                                   {FlatSymbolRefAttr::get(oldName)})] =
            SymbolRefAttr::get(dest.getSymNameAttr(),
                               {FlatSymbolRefAttr::get(name)});
      }
      AttrTypeReplacer local;
      local.addReplacement([&](SymbolRefAttr ref) -> Replaced {
        auto it = inside.find(ref.getRootReference());
        if (it == inside.end())
          return std::nullopt;
        return std::make_pair(
            SymbolRefAttr::get(it->second, ref.getNestedReferences()),
            WalkResult::skip());
      });
      for (Operation &op : m.getBody()->getOperations())
        local.recursivelyReplaceElementsIn(&op, /*replaceAttrs=*/true,
                                           /*replaceLocs=*/false,
                                           /*replaceTypes=*/false);
      for (Operation *sym : symbolsOf(m))
        SymbolTable::setSymbolName(sym, newName.lookup(sym));
    }
    AttrTypeReplacer uses;
    uses.addReplacement([&](SymbolRefAttr ref) -> Replaced {
      auto it = outside.find(ref);
      if (it == outside.end())
        return std::nullopt;
      return std::make_pair(it->second, WalkResult::skip());
    });
    for (Operation &op : top.getBody()->getOperations())
      if (!isa<gpu::GPUModuleOp>(op))
        uses.recursivelyReplaceElementsIn(&op, /*replaceAttrs=*/true,
                                          /*replaceLocs=*/false,
                                          /*replaceTypes=*/false);

    // Move everything into the first module; the others are empty now.
    Block *body = dest.getBody();
    for (gpu::GPUModuleOp m : llvm::drop_begin(merged)) {
      for (Operation &op :
           llvm::make_early_inc_range(m.getBody()->getOperations()))
        op.moveBefore(body, body->end());
      m.erase();
    }
  }
};

} // namespace
