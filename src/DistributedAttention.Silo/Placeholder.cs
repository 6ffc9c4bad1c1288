namespace DistributedAttention.Silo; internal static class Placeholder { }
