using System.Collections.Concurrent;
using System.Globalization;
using Orleans.Serialization;
using Orleans.Storage;

namespace DistributedAttention.Silo;

/// <summary>
/// Grain storage that lives in this process, shared by all silos of the process that have the
/// same service and cluster id: the job store of the embedded cluster. Orleans' own memory
/// storage keeps state in grains, which die with their silo; this table dies only with the
/// process, which takes every silo of the embedded cluster with it anyway. States are kept
/// serialized (a write is a copy, as with any real store) with an ETag each.
/// </summary>
public sealed class InProcessGrainStorage(InProcessGrainStorage.Table table, Serializer serializer) : IGrainStorage
{
    private static readonly ConcurrentDictionary<(string ServiceId, string ClusterId), Table> Tables = new();

    /// <summary>The table of cluster <paramref name="clusterId"/> of service <paramref name="serviceId"/> in this process.</summary>
    public static Table For(string serviceId, string clusterId) => Tables.GetOrAdd((serviceId, clusterId), _ => new Table());

    /// <summary>Drops the table of a cluster that has stopped.</summary>
    public static void Forget(string serviceId, string clusterId) => Tables.TryRemove((serviceId, clusterId), out _);

    /// <inheritdoc />
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        if (table.TryRead(Key(stateName, grainId), out var entry))
        {
            grainState.State = serializer.Deserialize<T>(entry.Bytes);
            grainState.ETag = entry.ETag;
            grainState.RecordExists = true;
        }
        else
        {
            grainState.ETag = null;
            grainState.RecordExists = false;
        }
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        grainState.ETag = table.Write(Key(stateName, grainId), grainState.ETag, serializer.SerializeToArray(grainState.State));
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        table.Remove(Key(stateName, grainId), grainState.ETag);
        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    private static string Key(string stateName, GrainId grainId) => $"{grainId}/{stateName}";

    /// <summary>The states of one cluster, with optimistic concurrency on ETags.</summary>
    public sealed class Table
    {
        private readonly Lock gate = new();
        private readonly Dictionary<string, Entry> entries = new(StringComparer.Ordinal);
        private long version;

        /// <summary>Number of states held.</summary>
        public int Count
        {
            get
            {
                lock (gate) return entries.Count;
            }
        }

        /// <summary>Bytes of all states held (serialized).</summary>
        public long Bytes
        {
            get
            {
                lock (gate) return entries.Values.Sum(e => (long)e.Bytes.Length);
            }
        }

        internal bool TryRead(string key, out Entry entry)
        {
            lock (gate) return entries.TryGetValue(key, out entry!);
        }

        internal string Write(string key, string? expectedETag, byte[] bytes)
        {
            lock (gate)
            {
                var current = entries.GetValueOrDefault(key)?.ETag;
                if (current != expectedETag) throw new InconsistentStateException($"state '{key}' was written by someone else (stored ETag {current ?? "none"}, expected {expectedETag ?? "none"}).", current, expectedETag);
                var etag = (++version).ToString(CultureInfo.InvariantCulture);
                entries[key] = new Entry(bytes, etag);
                return etag;
            }
        }

        internal void Remove(string key, string? expectedETag)
        {
            lock (gate)
            {
                var current = entries.GetValueOrDefault(key)?.ETag;
                if (current is not null && current != expectedETag) throw new InconsistentStateException($"state '{key}' was written by someone else.", current, expectedETag);
                entries.Remove(key);
            }
        }

        internal sealed record Entry(byte[] Bytes, string ETag);
    }
}
