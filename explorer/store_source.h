// The ExplorerSource over the real job store (store::JobStore). The only explorer file that
// knows the store's record types.
#pragma once

#include <memory>

#include "explorer/source.h"

namespace s1mple::store {
class JobStore;
}

namespace s1mple::explorer {

// `store` is borrowed and must outlive the source. Reads only.
std::unique_ptr<ExplorerSource> MakeStoreExplorerSource(store::JobStore& store);

}  // namespace s1mple::explorer
