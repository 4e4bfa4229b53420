#!/usr/bin/python3
"""percpu_lint: the PerCpu rules a compiler cannot see, checked in source.

Outside percpu/ (the wrapper's own code), C and assembly files must not:

  wrapper-internal   name the wrapper's internals: the storage
                     (percpu_storage__*), other generated names
                     (percpu_slot__*, percpu_type__*, percpu_lock_of__*, ...),
                     internal macros and functions (PERCPU__*, percpu__*),
                     the raw arch accessors (PERCPU_ARCH_LOAD_RAW/STORE_RAW/
                     ADDR/AREA_OFFSET) or a handle's desc.area_offset(),
                     also inside strings (asm text names symbols)
  diagnostic-pragma  switch off a diagnostic that enforces PerCpu's static
                     rules (-Wdeprecated-declarations, -Wincompatible-
                     pointer-types, -Wint-conversion), or any diagnostic
                     around per-CPU names
  asm-label          give a declaration an asm label naming a per-CPU
                     variable or a percpu symbol (an alias of the storage)
  plain-thread       declare plain thread-local data (__thread,
                     _Thread_local, thread_local): per-hart data is a
                     PerCpu variable
  justification      pass percpu_unchecked a justification that is not a
                     narrow string literal of real words (at least three
                     words of two or more letters, one of four or more)
  hand-guard         declare a struct percpu_guard object by hand: a guard
                     exists only through PERCPU_GUARD/PERCPU_GUARD_IRQS_OFF
                     (a pointer to one, passing a guard down, is fine), also
                     through a guard's type (__typeof__(g) x, __auto_type
                     x = g); the
                     audit build reports such a guard at its first use as
                     never taken, this finds it before it runs
  explicit-remote    use percpu_remote, the explicit lock form's pointer,
                     outside kernel/proof/violations/ and kernel/proof/
                     selftest/: nothing ties the pointer to the lock, so
                     a use after spin_unlock goes unseen; the scoped form
                     (percpu_remote_locked) declares the pointer for the
                     lock's block only, and percpu_remote_read/_write
                     check the lock at each access
  declare-mismatch   declare or define one per-CPU variable with other
                     arguments (type, lock) than another declaration or
                     its definition, among the files linted: each file
                     compiles against its own declaration, C and the
                     linker compare none of them, and an access through a
                     wider type reaches past the instance unseen (the
                     audit's stamp is at the same place either way)
  pointer-escape     keep a pointer into per-CPU data past what makes it
                     valid: return the pointer percpu_local, percpu_init or
                     percpu_remote gives (or the address of a field of it),
                     assign it to anything but a block-scope local it
                     initialises (a variable declared before the guard, a
                     global, a structure member, an array element, a
                     static; the local it initialises is held to the
                     same rule to the end of its block, copies of that
                     local are not followed), make it a statement
                     expression's value
                     (`({ PERCPU_GUARD(g); percpu_local(g, v); })`, whose
                     guard ends with it), or assign percpu_remote_locked's
                     pointer so.
                     A local initialised where the pointer is obtained is
                     scoped inside its guard (the guard must be in scope
                     there); any other store may outlive it, and the audit
                     sees no plain load or store through it. The address
                     of the variable's own lock (a sync object) and an
                     integer cast (an address reported, not used) are not
                     findings; percpu_unchecked is the escape hatch
  borrow-break       `break` or `continue` bound to a scoped form's hidden
                     loop (percpu_remote_locked/_pair are `for` loops run
                     once) while the scoped form sits in a loop or switch:
                     it leaves the borrow, not that loop or switch, which
                     is what the writer meant (`for (...)
                     percpu_remote_locked(...) { if (found) break; }` keeps
                     scanning). A break/continue inside a loop or switch
                     of the body, or in a scoped form outside any loop or
                     switch (it ends the block, on purpose), is fine
  raw-area           name percpu_area_base or percpu_area_value_offset
                     outside RAW_AREA_HOMES: an area base (plus an offset)
                     is any hart's instance, reached unchecked, unrecorded
                     and not even counted as an escape-hatch use; the
                     remote forms check and record the access, and
                     percpu_unchecked is the escape hatch, with its reason

A finding can be waived on its line or the line above with a comment
`percpu-lint: allow RULE: why, in real words`; the reason is checked like
a justification.

Output, like checkpatch: one `FILE:LINE: RULE: message` per finding, exit
status 1 if there is any (0 if none, 2 on a usage error). There is no
list of known findings: the tree has none, and a new one is fixed or
waived where it is.

  tools/percpu_lint.py                 the tree (see DEFAULT_EXCLUDES)
  tools/percpu_lint.py FILE...         those files, wherever they are
"""
import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE_SUFFIXES = (".c", ".h", ".S", ".inc")

# Scanned by default: every tracked C/assembly file but these.
DEFAULT_EXCLUDES = (
    "percpu/",              # the wrapper itself
    "tests/unit/",          # the wrapper's own tests look inside it
    "tests/compile-fail/",  # misuse on purpose
    "tests/codegen/",       # hand-written per-hart code to compare against
    "tests/lint/",          # the lint's own fixtures, bad on purpose
    "build/",
)

INTERNAL = re.compile(
    r"\b(?:percpu_storage__|percpu_slot__|percpu_type__|percpu_lock_of__|"
    r"percpu_lock_offset__|percpu_area_offset__|PERCPU__|percpu__)\w*"
    r"|\bPERCPU_ARCH_(?:LOAD_RAW|STORE_RAW|ADDR|AREA_OFFSET)\b"
    r"|\.\s*desc\s*\.\s*area_offset\s*\(")
THREAD = re.compile(r"\b(?:__thread|_Thread_local|thread_local)\b")
ENFORCING_WARNINGS = re.compile(
    r"-W(?:error=)?(?:deprecated-declarations|deprecated|incompatible-pointer-types|int-conversion)\b")
PRAGMA = re.compile(r"^\s*#\s*pragma\s+(?:GCC|clang)\s+diagnostic\b(.*)$")
PRAGMA_OP = re.compile(r'\b_Pragma\s*\(\s*"((?:[^"\\]|\\.)*)"\s*\)')
ASM_LABEL = re.compile(r'([\w\])])\s*\b(?:__asm__|__asm|asm)\s*\(\s*"((?:[^"\\]|\\.)*)"\s*\)')
NOT_DECLARATOR = {"volatile", "__volatile__", "__volatile", "goto", "inline", "__inline__",
                  "return", "else", "do"}
DECLARE = re.compile(r"\bPERCPU_(?:DECLARE|DECLARE_LOCKED|DEFINE|DEFINE_LOCKED)\s*\(")
WAIVER = re.compile(r"percpu-lint:\s*allow\s+([a-z-]+)\s*:\s*(.*?)\s*(?:\*/|$)")
RULES = ("wrapper-internal", "diagnostic-pragma", "asm-label", "plain-thread", "justification",
         "hand-guard", "pointer-escape", "declare-mismatch", "explicit-remote", "raw-area",
         "borrow-break")
# Where the explicit lock form is at home: the provocations and self-tests.
EXPLICIT_REMOTE_HOMES = ("kernel/proof/violations/", "kernel/proof/selftest/")
# The raw area addresses: an area's base, a variable's offset in every area.
RAW_AREA = re.compile(r"\bpercpu_area_(?:base|value_offset)\b")
# Where they are at home: the wrapper; the boot code, which lays the areas
# out and points tp at them; the self-tests, which check that layout, and
# the violation suite, which points tp at the wrong area on purpose. Other
# uses (the hart start handing a hart its base, the trace offset) carry
# the rule's waiver with their reason.
RAW_AREA_HOMES = ("percpu/", "kernel/boot/", "kernel/proof/selftest/", "kernel/proof/violations/")
# `struct percpu_guard NAME` followed by what ends a declarator of an
# object (not `*`: pointers to guards are how guards are passed down).
HAND_GUARD = re.compile(r"\bstruct\s+percpu_guard\s+(?:const\s+|volatile\s+)*([A-Za-z_]\w*)\s*[;=,\[)]")
# The names PERCPU_GUARD/PERCPU_GUARD_IRQS_OFF declare in a file: a copy
# declared through the guard's own type names no struct percpu_guard.
GUARD_TAKEN = re.compile(r"\bPERCPU_GUARD(?:_IRQS_OFF)?\s*\(\s*([A-Za-z_]\w*)\s*\)")
GUARD_POINTER = re.compile(r"\bstruct\s+percpu_guard\s*\*\s*(?:const\s+)?([A-Za-z_]\w*)")


def split_source(text):
    """(code, bare, comments): `code` is text with comments blanked, strings
    kept; `bare` also has string contents blanked; `comments` maps line
    number to the comment text on it. Newlines are kept, so offsets and
    line numbers agree with the original."""
    code, bare = [], []
    comments = {}
    i, n, line = 0, len(text), 1
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            comments.setdefault(line, []).append(text[i:j])
            code.append(" " * (j - i))
            bare.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            chunk = text[i:j]
            for k, part in enumerate(chunk.split("\n")):
                comments.setdefault(line + k, []).append(part)
            blank = re.sub(r"[^\n]", " ", chunk)
            code.append(blank)
            bare.append(blank)
            line += chunk.count("\n")
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            code.append(text[i:j])
            bare.append(c + " " * max(0, j - i - 2) + (c if j - i >= 2 else ""))
            i = j
        else:
            if c == "\n":
                line += 1
            code.append(c)
            bare.append(c)
            i += 1
    return "".join(code), "".join(bare), {k: " ".join(v) for k, v in comments.items()}


def line_of(text, offset):
    return text.count("\n", 0, offset) + 1


def real_words(text):
    """True if text reads as a reason: three or more words of two or more
    letters, at least one of four or more, not all the same word."""
    words = re.findall(r"[A-Za-z]{2,}", text)
    return (len(words) >= 3 and any(len(w) >= 4 for w in words)
            and len({w.lower() for w in words}) >= 2)


def call_arguments(code, open_paren):
    """Top-level arguments of the call whose '(' is at open_paren, as
    (start, end) offsets; None if unbalanced."""
    depth, start, args, i = 0, open_paren + 1, [], open_paren
    while i < len(code):
        c = code[i]
        if c in "\"'":
            j = i + 1
            while j < len(code) and code[j] != c:
                j += 2 if code[j] == "\\" else 1
            i = j + 1
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                args.append((start, i))
                return args
        elif c == "," and depth == 1:
            args.append((start, i))
            start = i + 1
        i += 1
    return None


def past_brackets(code, i):
    """The offset just past the bracket opened at code[i] (strings are
    blanked in the code this is given); len(code) if it never closes."""
    depth = 0
    for j in range(i, len(code)):
        if code[j] in "([{":
            depth += 1
        elif code[j] in ")]}":
            depth -= 1
            if depth == 0:
                return j + 1
    return len(code)


# What a statement can start with that takes a statement after a
# parenthesised head: the C keywords, the scoped forms, and loop macros
# (percpu_for_each_hart, sched_for_each_other_hart: `for` in a macro).
STATEMENT_HEAD = re.compile(r"(?:(if|for|while|switch)|percpu_remote_locked(?:_pair)?|"
                            r"\w*for_each\w*)\s*\(")
LABEL = re.compile(r"(?:case\b[^:;{}]*|default\s*|[A-Za-z_]\w*\s*):(?!:)")
BLANKS = re.compile(r"[\s\\]*")     # a macro's line continuations are blanks too


def statement_end(code, i):
    """The offset just past the statement that starts at (or after blanks
    from) offset i: a block, a controlled statement with its body (and an
    if's else), a do-while, or an expression statement up to its `;`."""
    i = BLANKS.match(code, i).end()
    if i >= len(code):
        return len(code)
    if code[i] == "{":
        return past_brackets(code, i)
    label = LABEL.match(code, i)
    if label and not STATEMENT_HEAD.match(code, i):
        return statement_end(code, label.end())
    head = STATEMENT_HEAD.match(code, i)
    if head:
        end = statement_end(code, past_brackets(code, head.end() - 1))
        if head.group(1) == "if":
            other = re.compile(r"[\s\\]*else\b").match(code, end)
            if other:
                end = statement_end(code, other.end())
        return end
    if re.match(r"do\b", code[i:i + 3]):
        end = statement_end(code, i + 2)
        tail = re.compile(r"[\s\\]*while\s*\(").match(code, end)
        if tail:
            end = past_brackets(code, tail.end() - 1)
        return expression_end(code, end)
    return expression_end(code, i)


def expression_end(code, i):
    """Just past the `;` that ends the expression statement from offset i
    (a statement expression's own `;` are inside its brackets)."""
    while i < len(code):
        if code[i] == ";":
            return i + 1
        if code[i] in "([{":
            i = past_brackets(code, i)
        elif code[i] in ")]}":
            return i        # unbalanced: the enclosing block ends here
        else:
            i += 1
    return len(code)


# The constructs a break or continue binds to: loops (for, while, do, and
# the loop macros), switch, and the scoped forms, whose hidden `for` loops
# take a break as their own.
BREAKABLE = re.compile(r"\b(?:(for|while|switch)\s*\(|(do)\b|"
                       r"(percpu_remote_locked(?:_pair)?)\s*\(|(\w*for_each\w*)\s*\()")


def breakables(code):
    """(kind, start, body_start, body_end) of each construct a break or
    continue can bind to: kind is "loop", "switch" or "scoped"."""
    found = []
    for m in BREAKABLE.finditer(code):
        if re.search(r"#\s*define\s+$", code[:m.start()][-40:]):
            continue        # a loop macro's own definition, not a loop
        if m.group(2):
            body_start = m.end()
        else:
            body_start = past_brackets(code, m.end() - 1)
        if m.group(1) == "switch":
            kind = "switch"
        elif m.group(3):
            kind = "scoped"
        else:
            kind = "loop"
        found.append((kind, m.start(), body_start, statement_end(code, body_start)))
    return found


# The accessors that hand out a pointer into per-CPU data, and the scoped
# construct that declares one for its block.
POINTER_CALL = re.compile(r"\bpercpu_(local|init|remote)\s*\(")
SCOPED_CALL = re.compile(r"\bpercpu_remote_locked(_pair)?\s*\(")
# A declarator being initialised: type words and stars, then the name.
DECLARATION = re.compile(r"^(?:[A-Za-z_]\w*\s+|[A-Za-z_]\w*\s*\*[\s*]*)+[A-Za-z_]\w*\s*$")
INTEGER_CAST = re.compile(r"^\(\s*(?:const\s+)?(?:u?intptr_t|uint64_t|unsigned\s+long|long|"
                          r"size_t|ptrdiff_t)\s*\)\s*")
POINTER_CAST = re.compile(r"^\(\s*[^()]*\*\s*\)\s*")


def statement_prefix(code, start):
    """The code from the start of the statement (or of the last top-level
    comma-separated part of it) up to offset start; None if start lies
    inside parentheses or brackets (an argument, a condition)."""
    depth, i = 0, start - 1
    while i >= 0:
        c = code[i]
        if c in ")]":
            depth += 1
        elif c in "([":
            if depth == 0:
                return None
            depth -= 1
        elif depth == 0 and c in ";{}":
            break
        elif depth == 0 and c == ",":
            break
        i -= 1
    return code[i + 1:start]


def lock_members(code):
    """Variable name to its lock member, from PERCPU_DECLARE_LOCKED/DEFINE_LOCKED."""
    locks = {}
    for m in re.finditer(r"\bPERCPU_(?:DECLARE|DEFINE)_LOCKED\s*\(", code):
        args = call_arguments(code, m.end() - 1)
        if args and len(args) == 3:
            locks[code[args[1][0]:args[1][1]].strip()] = code[args[2][0]:args[2][1]].strip()
    return locks


def declarations(code):
    """(name, line, is_definition, signature) of each PERCPU_DECLARE*/
    PERCPU_DEFINE* in this code; the signature is the type and the lock,
    blanks normalised, LOCKED or not."""
    found = []
    for m in DECLARE.finditer(code):
        args = call_arguments(code, m.end() - 1)
        if not args or len(args) < 2:
            continue
        texts = [re.sub(r"\s+", " ", code[a[0]:a[1]]).strip() for a in args]
        texts[0] = re.sub(r"\s*\*\s*", " *", texts[0])
        name = texts[1]
        if not re.fullmatch(r"[A-Za-z_]\w*", name):
            continue
        signature = " , ".join([texts[0]] + texts[2:])
        found.append((name, line_of(code, m.start()), "DEFINE" in m.group(0), signature))
    return found


def percpu_names(code):
    """Names declared or defined as per-CPU variables in this code."""
    names = set()
    for m in DECLARE.finditer(code):
        args = call_arguments(code, m.end() - 1)
        if args and len(args) >= 2:
            name = code[args[1][0]:args[1][1]].strip()
            if re.fullmatch(r"[A-Za-z_]\w*", name):
                names.add(name)
    return names


class Linter:
    def __init__(self, names, locks=None, signatures=None):
        self.names = set(names)
        self.locks = dict(locks or {})
        # name -> {signature: [(is_definition, where)]} over every file linted
        self.signatures = signatures or {}
        self.findings = []      # (path, line, rule, message, text)

    def add(self, path, line, rule, message, text, comments):
        for at in (line, line - 1):
            waiver = WAIVER.search(comments.get(at, ""))
            if waiver and waiver.group(1) == rule and real_words(waiver.group(2)):
                return
        self.findings.append((path, line, rule, message, text))

    def names_in(self, text):
        return sorted(n for n in self.names if re.search(r"\b%s\b" % re.escape(n), text))

    def lint(self, path, text):
        code, bare, comments = split_source(text)
        names_here = self.names | percpu_names(code)
        lines = code.split("\n")

        for m in INTERNAL.finditer(code):
            token = re.sub(r"\s+", "", m.group(0))
            self.add(path, line_of(code, m.start()), "wrapper-internal",
                     "'%s' is internal to the PerCpu wrapper; use the percpu_* accessors" % token,
                     token, comments)

        for m in THREAD.finditer(bare):
            self.add(path, line_of(bare, m.start()), "plain-thread",
                     "plain %s data outside percpu/: per-hart data is a PerCpu variable "
                     "(PERCPU_DECLARE/PERCPU_DEFINE)" % m.group(0), m.group(0), comments)

        self.lint_pragmas(path, lines, comments, names_here)

        for m in HAND_GUARD.finditer(bare):
            self.add(path, line_of(bare, m.start()), "hand-guard",
                     "guard '%s' declared by hand; take one with PERCPU_GUARD(%s) or "
                     "PERCPU_GUARD_IRQS_OFF(%s)" % ((m.group(1),) * 3), m.group(0), comments)

        # A guard: a name PERCPU_GUARD declared, or a guard pointer dereferenced.
        guard = "|".join([re.escape(g) for g in sorted(set(GUARD_TAKEN.findall(bare)))] +
                         [r"\*\s*" + re.escape(g) for g in sorted(set(GUARD_POINTER.findall(bare)))])
        if guard:
            copy = re.compile(r"(?:\b(?:__typeof__|__typeof|typeof)\s*\(\s*(?:%s)\s*\)"
                              r"|\b__auto_type)\s+(?:const\s+|volatile\s+)*([A-Za-z_]\w*)"
                              r"\s*(?:[;,\[]|=\s*(?:%s)\s*[;,])" % (guard, guard))
            for m in copy.finditer(bare):
                if m.group(0).startswith("__auto_type") and "=" not in m.group(0):
                    continue
                self.add(path, line_of(bare, m.start()), "hand-guard",
                         "guard '%s' declared by hand, as a copy of a guard's type; take one "
                         "with PERCPU_GUARD(%s) or PERCPU_GUARD_IRQS_OFF(%s)"
                         % ((m.group(1),) * 3), m.group(0), comments)

        for m in ASM_LABEL.finditer(code):
            before = code[:m.start(1) + 1]
            word = re.search(r"(\w+)$", before)
            if word and word.group(1) in NOT_DECLARATOR:
                continue
            label = m.group(2)
            named = [n for n in names_here if re.search(r"\b%s\b" % re.escape(n), label)]
            if named or re.match(r"\s*percpu", label):
                self.add(path, line_of(code, m.start()), "asm-label",
                         "asm label \"%s\" aliases per-CPU data; reach it through the percpu_* "
                         "accessors" % label, label, comments)

        self.lint_escapes(path, bare, comments)
        self.lint_declarations(path, code, comments)

        if not any(home in path.replace(os.sep, "/") for home in EXPLICIT_REMOTE_HOMES):
            for m in re.finditer(r"\bpercpu_remote\s*\(", bare):
                self.add(path, line_of(bare, m.start()), "explicit-remote",
                         "percpu_remote's pointer is not tied to its lock; use "
                         "percpu_remote_locked (or percpu_remote_read/_write)", m.group(0),
                         comments)

        self.lint_raw_area(path, bare, comments)
        self.lint_borrow_breaks(path, bare, comments)

        for m in re.finditer(r"\bpercpu_unchecked\s*\(", code):
            line = line_of(code, m.start())
            args = call_arguments(code, m.end() - 1)
            if not args or len(args) != 3:
                continue
            arg = code[args[2][0]:args[2][1]].strip()
            literals = re.findall(r'(\w*)"((?:[^"\\]|\\.)*)"', arg)
            rest = re.sub(r'\w*"(?:[^"\\]|\\.)*"', "", arg).strip()
            if not literals or rest:
                self.add(path, line, "justification",
                         "percpu_unchecked needs a string literal justification, not '%s'" % arg,
                         arg, comments)
            elif any(prefix for prefix, _ in literals):
                self.add(path, line, "justification",
                         "percpu_unchecked justification must be a plain (narrow) string literal",
                         arg, comments)
            elif not real_words("".join(s for _, s in literals)):
                self.add(path, line, "justification",
                         "percpu_unchecked justification %s does not say why in real words" % arg,
                         arg, comments)

    def lint_borrow_breaks(self, path, code, comments):
        """A break or continue that binds to a scoped form's hidden loop
        while the scoped form is inside a loop (or, for break, a switch)
        the writer wrote: it ends the borrow and the enclosing loop goes
        on, which reads as the opposite."""
        constructs = breakables(code)
        for kind, start, body_start, body_end in constructs:
            if kind != "scoped":
                continue
            for jump in re.finditer(r"\b(break|continue)\s*;", code[body_start:body_end]):
                at = body_start + jump.start()
                word = jump.group(1)
                # Its own target: the innermost construct around it in the
                # body (a switch takes a break, not a continue).
                binds = [c for c in constructs if c[1] > start and c[2] <= at < c[3]
                         and (word == "break" or c[0] != "switch")]
                if binds:
                    continue
                # The loop or switch the writer meant: the innermost around
                # the scoped form, past other scoped forms (hidden loops too).
                meant = [c for c in constructs if c[2] <= start < c[3] and c[0] != "scoped"
                         and (word == "break" or c[0] == "loop")]
                if not meant:
                    continue        # it ends the block: what it says
                outer = max(meant, key=lambda c: c[2])
                args = call_arguments(code, code.index("(", start))
                var = code[args[0][0]:args[0][1]].strip() if args else "?"
                self.add(path, line_of(code, at), "borrow-break",
                         "'%s' leaves the borrow of %s, not the enclosing %s at line %d (the "
                         "scoped form is a loop run once): set a flag in the block and test it "
                         "after, or put the %s in a helper and return from it"
                         % (word, var, outer[0], line_of(code, outer[1]), outer[0]),
                         word, comments)

    def lint_raw_area(self, path, code, comments):
        """percpu_area_base/percpu_area_value_offset outside their homes: a
        pointer made from them reaches any hart's instance with no check,
        no record and no escape-hatch count."""
        if any(home in path.replace(os.sep, "/") for home in RAW_AREA_HOMES):
            return
        for m in RAW_AREA.finditer(code):
            self.add(path, line_of(code, m.start()), "raw-area",
                     "%s reaches any hart's per-CPU area by raw address: a pointer made from "
                     "it is a remote access unchecked, unrecorded and not even counted as an "
                     "escape-hatch use; use "
                     "percpu_remote_locked or percpu_remote_load, or the escape hatch "
                     "percpu_unchecked(var, hart, \"justification\")" % m.group(0),
                     m.group(0), comments)

    def escape(self, code, start, end, what, locks):
        """The finding's message if the pointer value code[start:end] (an
        accessor call, or a scoped construct's pointer name) is returned
        or stored beyond a local it initialises; else None."""
        prefix = statement_prefix(code, start)
        if prefix is None:
            return None
        after = code[end:]
        path = re.match(r"(?:\s*(?:->|\.)\s*\w+|\s*\[[^\]]*\])*", after).group(0)
        rest = after[len(path):].lstrip()
        if not rest.startswith((";", ",")):
            return None     # part of a larger expression: a read, a call, a comparison
        head = prefix.rstrip()
        addressed = head.endswith("&") and not head.endswith("&&")
        if addressed:
            head = head[:-1].rstrip()
        if path and not addressed:
            return None     # the field's value, not a pointer
        if path and addressed and locks and re.fullmatch(r"\s*->\s*(%s)" % "|".join(
                re.escape(lock) for lock in locks), path):
            return None     # the variable's own lock: a sync object, meant to be named
        cast = re.search(r"\(\s*[^()]*\)\s*$", head)
        if cast and INTEGER_CAST.match(cast.group(0)):
            return None
        if cast and POINTER_CAST.match(cast.group(0)):
            head = head[:cast.start()].rstrip()
        if re.search(r"\breturn$", head):
            return "%s returned: it is valid only in the function that obtained it" % what
        if not head.strip() and re.match(r";[\s\\]*\}[\s\\]*\)", rest):
            return ("%s is the value of a statement expression: it outlives the block, "
                    "and the guard that block may hold" % what)
        if not head.endswith("=") or re.search(r"[=!<>+\-*/%&|^]=$", head):
            return None
        # What the statement assigns to: past a control clause or a loop
        # macro's head (`for (...)`, `percpu_for_each_hart(t, h)`), `else`, `do`.
        target = re.sub(r"^.*\)", "", head[:-1], flags=re.S).strip()
        target = re.sub(r"^(?:(?:else|do)\b\s*)+", "", target)
        if re.search(r"\b(?:static|extern|_Thread_local|__thread)\b", target):
            return "%s stored in '%s', which outlives it" % (what, target)
        if DECLARATION.match(target) or re.fullmatch(r"\.\s*\w+|\[[^\]]*\]", target):
            return None     # a local it initialises (a member of one, by designator)
        return ("%s assigned to '%s': declare the local where the pointer is obtained, "
                "inside the guard or lock that makes it valid" % (what, target))

    def lint_declarations(self, path, code, comments):
        """A declaration whose arguments differ from the definition's (or,
        with no definition among the files, from another declaration's)."""
        for name, line, _definition, signature in declarations(code):
            seen = self.signatures.get(name, {})
            if len(seen) < 2:
                continue
            defined = [sig for sig, places in seen.items() if any(d for d, _ in places)]
            if defined and signature in defined and len(defined) == 1:
                continue
            others = sorted("%s at %s" % (sig, places[0][1]) for sig, places in seen.items()
                            if sig != signature)
            self.add(path, line, "declare-mismatch",
                     "per-CPU variable '%s' declared here as (%s), elsewhere as %s: declare it "
                     "once, in a header, with the definition's arguments"
                     % (name, signature, "; ".join("(%s)" % o for o in others)), name, comments)

    @staticmethod
    def initialised_local(code, start, end):
        """The name of the pointer local code[start:end] initialises
        (`T *NAME = CALL;`, no member path after the call), else None."""
        if not code[end:].lstrip().startswith((";", ",")):
            return None
        prefix = statement_prefix(code, start)
        if prefix is None:
            return None
        head = re.sub(r"\(\s*[^()]*\*\s*\)\s*$", "", prefix.rstrip()).rstrip()
        if not head.endswith("=") or re.search(r"[=!<>+\-*/%&|^]=$", head):
            return None
        target = head[:-1].strip()
        if not DECLARATION.match(target) or re.search(r"\b(?:static|extern)\b", target):
            return None
        return re.search(r"(\w+)\s*$", target).group(1)

    def follow_local(self, path, code, comments, name, start, what, locks):
        """Reports escapes of local `name` from offset start to the end of
        the block that declares it."""
        depth, i = 0, start
        while i < len(code):
            depth += {"{": 1, "}": -1}.get(code[i], 0)
            if depth < 0:
                break
            i += 1
        for use in re.finditer(r"(?<![.>\w])%s\b" % re.escape(name), code[start:i]):
            at = start + use.start()
            message = self.escape(code, at, at + len(name), what, locks)
            if message:
                self.add(path, line_of(code, at), "pointer-escape", message, name, comments)

    def lint_escapes(self, path, code, comments):
        locks = set(self.locks.values()) | set(lock_members(code).values())
        for m in POINTER_CALL.finditer(code):
            args = call_arguments(code, m.end() - 1)
            if not args:
                continue
            end = args[-1][1] + 1
            what = "the pointer from percpu_%s" % m.group(1)
            message = self.escape(code, m.start(), end, what, locks)
            if message:
                self.add(path, line_of(code, m.start()), "pointer-escape", message,
                         code[m.start():end], comments)
                continue
            # The local it initialises, followed to the end of its block:
            # `T *rq = percpu_local(g, v); ... return rq;` escapes the same.
            local = self.initialised_local(code, m.start(), end)
            if local:
                self.follow_local(path, code, comments, local, end, "'%s' (%s)" % (local, what),
                                  locks)
        for m in SCOPED_CALL.finditer(code):
            args = call_arguments(code, m.end() - 1)
            if not args or len(args) < 4:
                continue
            names = [code[a[0]:a[1]].strip() for a in args[-2 if m.group(1) else -1:]]
            body_start = args[-1][1] + 1
            body = re.match(r"\s*\{", code[body_start:])
            if body:
                depth, i = 0, body_start + body.end() - 1
                while i < len(code):
                    depth += {"{": 1, "}": -1}.get(code[i], 0)
                    if depth == 0:
                        break
                    i += 1
                body_end = i
            else:
                body_end = code.find(";", body_start) + 1
            for name in names:
                if not re.fullmatch(r"[A-Za-z_]\w*", name):
                    continue
                for use in re.finditer(r"\b%s\b" % re.escape(name), code[body_start:body_end]):
                    at = body_start + use.start()
                    what = "the pointer '%s' of %s" % (name, m.group(0).rstrip("( \t"))
                    message = self.escape(code, at, at + len(name), what, locks)
                    if message:
                        self.add(path, line_of(code, at), "pointer-escape", message, name,
                                 comments)

    def lint_pragmas(self, path, lines, comments, names_here):
        """Diagnostic pragmas: those that switch off an enforcing warning,
        and any whose region (to the matching pop, or the end of the file)
        names per-CPU data or wrapper internals."""
        pragmas = []    # (index, kind, text)
        for index, text in enumerate(lines):
            m = PRAGMA.match(text)
            if m:
                pragmas.append((index, m.group(1)))
            for op in PRAGMA_OP.finditer(text):
                body = op.group(1)
                d = re.match(r"\s*(?:GCC|clang)\s+diagnostic\b(.*)", body)
                if d:
                    pragmas.append((index, d.group(1).replace('\\"', '"')))
        stack = []
        for pos, (index, rest) in enumerate(pragmas):
            words = rest.split()
            kind = words[0] if words else ""
            if kind == "push":
                stack.append(index)
                continue
            if kind == "pop":
                if stack:
                    stack.pop()
                continue
            end = len(lines)
            depth = 0
            for later_index, later_rest in pragmas[pos + 1:]:
                later_kind = later_rest.split()[0] if later_rest.split() else ""
                if later_kind == "push":
                    depth += 1
                elif later_kind == "pop":
                    if depth == 0:
                        end = later_index + 1
                        break
                    depth -= 1
            region = "\n".join(lines[index:end])
            enforcing = ENFORCING_WARNINGS.search(rest)
            named = self.names_in_region(region, names_here)
            if enforcing:
                message = ("diagnostic pragma switches off %s, which enforces PerCpu's static "
                           "rules" % enforcing.group(0))
            elif named:
                message = "diagnostic pragma around per-CPU data (%s)" % ", ".join(named)
            else:
                continue
            self.add(path, index + 1, "diagnostic-pragma", message, rest.strip(), comments)

    def names_in_region(self, region, names_here):
        found = [n for n in names_here if re.search(r"\b%s\b" % re.escape(n), region)]
        found += sorted({m.group(0) for m in INTERNAL.finditer(region)})
        return sorted(set(found))


def tracked_files(root):
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "--cached", "--others",
                              "--exclude-standard"],
                             capture_output=True, text=True, check=True).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        out = []
        for base, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            out += [os.path.relpath(os.path.join(base, f), root) for f in files]
    return sorted(f for f in out if f.endswith(SOURCE_SUFFIXES)
                  and not f.startswith(DEFAULT_EXCLUDES))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", help="files to lint (default: the tree)")
    parser.add_argument("--root", default=ROOT, help="tree to lint and report paths against")
    args = parser.parse_args(argv)

    root = os.path.abspath(args.root)
    if args.files:
        paths = args.files
    else:
        paths = [os.path.join(root, f) for f in tracked_files(root)]
    sources = {}
    for path in paths:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                sources[path] = f.read()
        except OSError as e:
            sys.stderr.write("percpu_lint: %s: %s\n" % (path, e.strerror))
            return 2
    names = set()
    locks = {}
    signatures = {}
    for path, text in sources.items():
        code = split_source(text)[0]
        names |= percpu_names(code)
        locks.update(lock_members(code))
        shown = path if args.files else os.path.relpath(path, root)
        for name, line, definition, signature in declarations(code):
            signatures.setdefault(name, {}).setdefault(signature, []).append(
                (definition, "%s:%d" % (shown, line)))
    linter = Linter(names, locks, signatures)
    for path, text in sources.items():
        # Files named on the command line are shown as given; the tree's
        # files relative to its root.
        linter.lint(path if args.files else os.path.relpath(path, root), text)

    counted = 0
    for path, line, rule, message, _text in sorted(set(linter.findings)):
        print("%s:%d: %s: %s" % (path, line, rule, message))
        counted += 1
    if counted:
        print("percpu_lint: %d finding%s in %d file%s" % (
            counted, "" if counted == 1 else "s", len(sources), "" if len(sources) == 1 else "s"))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
