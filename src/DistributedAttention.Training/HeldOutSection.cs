namespace DistributedAttention.Training;

/// <summary>A section of a book that training never sees: evaluation scores the model on it.</summary>
/// <param name="Book">The book's file name.</param>
/// <param name="Title">The section's heading, or a description where the book has no sections to split by.</param>
/// <param name="TokenStart">Its first token's index in the book.</param>
/// <param name="Tokens">Its token ids.</param>
public sealed record HeldOutSection(string Book, string Title, int TokenStart, int[] Tokens);
