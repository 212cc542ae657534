// JobStore::Impl::Txn: collects one operation's changes and writes them as one WriteBatch.
#include <algorithm>

#include "store/store_impl.h"

namespace s1mple::store {

using Txn = JobStore::Impl::Txn;

Result<codec::JobRecord*> Txn::Job(const SweepId& sweep, JobIndex index) {
  JobRef ref{sweep, index};
  auto it = jobs_.find(ref);
  if (it != jobs_.end()) return it->second.exists ? &it->second.record : nullptr;
  JobSlot slot;
  SweepInfo* info = Sweep(sweep);
  if (info != nullptr && index < info->job_count) {
    std::string bytes;
    rocksdb::Status st =
        s_.db_->Get(rocksdb::ReadOptions(), s_.cf(kJobs), codec::JobKey(sweep, index), &bytes);
    if (st.ok()) {
      S1MPLE_RETURN_IF_ERROR(codec::DecodeJob(bytes, &slot.record)
                                 .WithContext("job " + sweep + "/" + std::to_string(index)));
      slot.exists = true;
    } else if (!st.IsNotFound()) {
      return FromRocks(st, "reading job " + sweep + "/" + std::to_string(index));
    }
  }
  auto [pos, inserted] = jobs_.emplace(ref, std::move(slot));
  (void)inserted;
  return pos->second.exists ? &pos->second.record : nullptr;
}

Status Txn::Prefetch(std::vector<JobRef> refs) {
  std::sort(refs.begin(), refs.end());
  refs.erase(std::unique(refs.begin(), refs.end()), refs.end());
  std::vector<JobRef> wanted;
  std::vector<std::string> keys;
  for (const JobRef& ref : refs) {
    const SweepInfo* info = Sweep(ref.first);
    if (info == nullptr || ref.second >= info->job_count || jobs_.contains(ref)) continue;
    wanted.push_back(ref);
    keys.push_back(codec::JobKey(ref.first, ref.second));  // sorted: same order as refs
  }
  if (keys.empty()) return Status::Ok();
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  s_.db_->MultiGet(rocksdb::ReadOptions(), s_.cf(kJobs), keys.size(), slices.data(), values.data(),
                   statuses.data(), /*sorted_input=*/true);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    JobSlot slot;
    if (statuses[i].ok()) {
      S1MPLE_RETURN_IF_ERROR(
          codec::DecodeJob(std::string_view(values[i].data(), values[i].size()), &slot.record)
              .WithContext("job " + wanted[i].first + "/" + std::to_string(wanted[i].second)));
      slot.exists = true;
    } else if (!statuses[i].IsNotFound()) {
      return FromRocks(statuses[i],
                       "reading job " + wanted[i].first + "/" + std::to_string(wanted[i].second));
    }
    jobs_.emplace(wanted[i], std::move(slot));
  }
  return Status::Ok();
}

void Txn::Touch(const SweepId& sweep, JobIndex index) {
  jobs_[{sweep, index}].dirty = true;
}

SweepInfo* Txn::Sweep(const SweepId& sweep) {
  s_.mu_.AssertHeld();  // a Txn lives under its store's mutex (store_impl.h)
  auto it = sweeps_.find(sweep);
  if (it != sweeps_.end()) return &it->second.info;
  auto mem = s_.sweeps_.find(sweep);
  if (mem == s_.sweeps_.end()) return nullptr;
  return &sweeps_.emplace(sweep, SweepSlot{mem->second.info, false, false}).first->second.info;
}

void Txn::TouchMeta(const SweepId& sweep) {
  if (Sweep(sweep) != nullptr) sweeps_[sweep].meta_dirty = true;
}

void Txn::Count(const SweepId& sweep, std::optional<JobState> from, JobState to) {
  SweepInfo* info = Sweep(sweep);
  if (info == nullptr) return;
  auto counter = [&](JobState st) -> std::uint64_t& {
    switch (st) {
      case JobState::kPending:
        return info->counts.pending;
      case JobState::kLeased:
        return info->counts.leased;
      case JobState::kDone:
        return info->counts.done;
      case JobState::kFailed:
        return info->counts.failed;
    }
    return info->counts.failed;  // unreachable
  };
  if (from) --counter(*from);
  ++counter(to);
  sweeps_[sweep].counts_dirty = true;
}

void Txn::AddPending(const SweepId& sweep, JobIndex index) {
  batch_.Put(s_.cf(kDispatch), codec::JobKey(sweep, index), rocksdb::Slice());
  pending_ops_.push_back({{sweep, index}, true});
}

void Txn::RemovePending(const SweepId& sweep, JobIndex index) {
  batch_.Delete(s_.cf(kDispatch), codec::JobKey(sweep, index));
  pending_ops_.push_back({{sweep, index}, false});
}

void Txn::PutLease(const SweepId& sweep, JobIndex index, const Lease& lease) {
  batch_.Put(s_.cf(kLeases), codec::JobKey(sweep, index), codec::EncodeLease(lease));
  lease_ops_.push_back({{sweep, index}, lease});
}

void Txn::RemoveLease(const SweepId& sweep, JobIndex index) {
  batch_.Delete(s_.cf(kLeases), codec::JobKey(sweep, index));
  lease_ops_.push_back({{sweep, index}, std::nullopt});
}

void Txn::AdvanceCursor(const SweepId& sweep, JobIndex cursor) {
  cursors_[sweep] = cursor;
}

Status Txn::Commit() {
  s_.mu_.AssertHeld();  // a Txn lives under its store's mutex (store_impl.h)
  for (auto& [ref, slot] : jobs_) {
    if (slot.dirty) {
      batch_.Put(s_.cf(kJobs), codec::JobKey(ref.first, ref.second), codec::EncodeJob(slot.record));
    }
  }
  for (auto& [id, slot] : sweeps_) {
    SweepInfo& info = slot.info;
    // A sealed sweep with nothing PENDING or LEASED left is DONE, in the same batch.
    bool open = info.state == SweepState::kActive || info.state == SweepState::kPaused;
    if (open && info.counts.pending == 0 && info.counts.leased == 0) {
      info.state = SweepState::kDone;
      slot.meta_dirty = true;
    }
    if (slot.counts_dirty) {
      batch_.Put(s_.cf(kSweeps), codec::SweepCountsKey(id), codec::EncodeCounts(info.counts));
    }
    if (slot.meta_dirty) {
      batch_.Put(s_.cf(kSweeps), codec::SweepMetaKey(id), codec::EncodeSweepMeta(info));
    }
  }
  if (batch_.Count() > 0) {
    rocksdb::WriteOptions wo;
    wo.sync = false;  // durability comes from the committer's SyncWAL (group commit)
    S1MPLE_RETURN_IF_ERROR(FromRocks(s_.db_->Write(wo, &batch_), "writing to the store"));
  }

  // The batch is in the WAL and memtable: mirror it in memory.
  for (auto& [id, slot] : sweeps_) {
    auto it = s_.sweeps_.find(id);
    if (it != s_.sweeps_.end()) it->second.info = std::move(slot.info);
  }
  for (auto& [ref, lease] : lease_ops_) {
    auto old = s_.leases_.find(ref);
    if (old != s_.leases_.end()) {
      s_.deadlines_.erase({old->second.deadline_ms, ref.first, ref.second});
      s_.leases_.erase(old);
    }
    if (lease) {
      s_.leases_.emplace(ref, *lease);
      s_.deadlines_.insert({lease->deadline_ms, ref.first, ref.second});
    }
  }
  for (auto& [id, cursor] : cursors_) {
    auto it = s_.sweeps_.find(id);
    if (it != s_.sweeps_.end() && cursor > it->second.cursor) it->second.cursor = cursor;
  }
  for (auto& [ref, pending] : pending_ops_) {
    auto it = s_.sweeps_.find(ref.first);
    if (it == s_.sweeps_.end()) continue;
    if (!pending) {
      it->second.retry.erase(ref.second);
    } else if (ref.second < it->second.cursor) {
      it->second.retry.insert(ref.second);
    }
  }
  return Status::Ok();
}

}  // namespace s1mple::store
