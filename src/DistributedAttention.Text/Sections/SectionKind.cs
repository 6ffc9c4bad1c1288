namespace DistributedAttention.Text;

/// <summary>What kind of heading opened a <see cref="Section"/>.</summary>
public enum SectionKind
{
    /// <summary>Text before the first heading (title page, preface without a heading, a headless first chapter). Level 0.</summary>
    FrontMatter,

    /// <summary><c>VOLUME …</c>. Level 1.</summary>
    Volume,

    /// <summary><c>PART …</c>. Level 1.</summary>
    Part,

    /// <summary><c>BOOK …</c>, or a book of scripture such as <c>Genesis</c>. Level 1.</summary>
    Book,

    /// <summary><c>PREFACE</c>, <c>INTRODUCTION</c>, <c>PROLOGUE</c> and the like. Level 1.</summary>
    Prologue,

    /// <summary><c>EPILOGUE</c>, <c>FIRST EPILOGUE</c>, <c>CONCLUSION</c>. Level 1.</summary>
    Epilogue,

    /// <summary><c>CHAPTER …</c>. Level 2.</summary>
    Chapter,

    /// <summary>A fixed-size piece, used when a text has no recognisable heading. Level 1.</summary>
    FixedSize,
}
