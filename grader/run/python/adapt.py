# Points a tutorial-style server.py/client.py at loopback, the grader's ports and clip, by reading
# its syntax tree (Python's own `ast` module) instead of matching lines, so the spelling does not
# matter: host_ip / HOST / SERVER_IP, port / PORT / VIDEO_PORT (also inside `int(sys.argv[1]) if
# ... else 9688` or `os.environ.get('PORT', 9688)`), filename / VIDEO_FILE, and literals written
# straight into bind()/sendto()/connect()/VideoCapture(). It never runs the student's code.
#
# usage: python3 adapt.py SCRIPT PORT [CLIP]   (CLIP empty or absent: file names are left alone)
# stdout: one JSON object {"source": new text, "changes": [...], "facts": {...}, "error"?: str}
import ast, json, re, sys

VIDEO_EXT = re.compile(r'\.(mp4|avi|mkv|mov|webm|m4v|mpg|mpeg)$', re.I)
IPV4 = re.compile(r'^\d{1,3}(\.\d{1,3}){3}$')


def name_of(target):
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    return None


def is_host_name(n):
    low = n.lower()
    return low in ('host', 'ip', 'addr', 'address', 'server') or 'host' in low or low.endswith('_ip') or low.startswith('ip_') or low == 'server_ip'


def is_port_name(n):
    return 'port' in n.lower()


def is_file_name(n):
    low = n.lower()
    return 'file' in low or low in ('video', 'video_path', 'path', 'src', 'source', 'clip', 'movie')


def int_constants(node):
    return [c for c in ast.walk(node) if isinstance(c, ast.Constant) and type(c.value) is int and 1024 <= c.value <= 65535]


def str_port_constants(node):
    return [c for c in ast.walk(node) if isinstance(c, ast.Constant) and isinstance(c.value, str) and c.value.isdigit() and 1024 <= int(c.value) <= 65535]


class Edits:
    def __init__(self):
        self.items = {}

    def add(self, node, new, why):
        key = (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)
        if key not in self.items:
            self.items[key] = (new, why)


def scan_assignments(tree, edits, clip, int_names):
    """Host/file settings are edited here; port constants are returned (name, node, value) for later."""
    port_assigns = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for t in targets:
            n = name_of(t)
            if n is None:
                continue
            if isinstance(node.value, ast.Constant) and type(node.value.value) is int:
                int_names[n] = node.value.value
            if is_port_name(n):
                port_assigns += [(n, c, c.value) for c in int_constants(node.value)]
                port_assigns += [(n, c, int(c.value)) for c in str_port_constants(node.value)]
            elif is_host_name(n) and 'name' not in n.lower() and (isinstance(node.value, ast.Call) or (isinstance(node.value, ast.Constant) and isinstance(node.value.value, str))):
                if not (isinstance(node.value, ast.Constant) and node.value.value == '127.0.0.1'):
                    edits.add(node.value, "'127.0.0.1'", '%s: host -> 127.0.0.1 (the grader listens on loopback only)' % n)
            elif clip and is_file_name(n):
                for c in ast.walk(node.value):
                    if isinstance(c, ast.Constant) and isinstance(c.value, str) and VIDEO_EXT.search(c.value):
                        edits.add(c, json.dumps(clip), '%s: video file %r -> the grader\'s clip' % (n, c.value))
    return port_assigns


def main_port_of(port_assigns):
    """The one named exactly port/PORT, else one with "video" in its name, else the first."""
    for pref in (lambda n: n.lower() == 'port', lambda n: 'video' in n.lower(), lambda n: True):
        for n, c, v in port_assigns:
            if pref(n):
                return v
    return None


def scan_calls(tree, edits, clip, port, main_port, int_names, facts):
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        fn = name_of(node.func) or ''
        if fn in ('bind', 'connect', 'sendto', 'connect_ex', 'create_connection'):
            for arg in node.args:
                if isinstance(arg, ast.Tuple) and len(arg.elts) == 2:
                    h, p = arg.elts
                    if isinstance(h, ast.Constant) and isinstance(h.value, str) and h.value != '127.0.0.1':
                        edits.add(h, "'127.0.0.1'", '%s(): host %r -> 127.0.0.1' % (fn, h.value))
                    if isinstance(p, ast.Constant) and type(p.value) is int and 1024 <= p.value <= 65535:
                        new = port + (p.value - main_port) if main_port is not None else port
                        edits.add(p, str(new), '%s(): port %d -> %d' % (fn, p.value, new))
        if clip and fn in ('VideoCapture', 'format', 'open'):
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and VIDEO_EXT.search(arg.value):
                    edits.add(arg, json.dumps(clip), '%s(): video file %r -> the grader\'s clip' % (fn, arg.value))
        if fn == 'moveWindow' and len(node.args) == 3 and all(isinstance(a, ast.Constant) for a in node.args):
            facts['windows'].append({'title': node.args[0].value, 'x': node.args[1].value, 'y': node.args[2].value})
        if fn == 'resize':
            for kw in node.keywords:
                if kw.arg == 'width' and isinstance(kw.value, ast.Constant) and type(kw.value.value) is int:
                    facts['resizeWidth'] = kw.value.value
                elif kw.arg == 'width' and isinstance(kw.value, ast.Name) and kw.value.id in int_names:
                    facts['resizeWidth'] = int_names[kw.value.id]


def apply_edits(raw, edits):
    """Applies edits from the end so earlier offsets stay valid (ast offsets are UTF-8 byte columns)."""
    starts = [0]
    for line in raw.split(b'\n'):
        starts.append(starts[-1] + len(line) + 1)
    out = raw
    changes = []
    for (l0, c0, l1, c1), (new, why) in sorted(edits.items.items(), reverse=True):
        a = starts[l0 - 1] + c0
        b = starts[l1 - 1] + c1
        old = out[a:b].decode('utf-8', errors='replace')
        if old == new:
            continue
        out = out[:a] + new.encode('utf-8') + out[b:]
        changes.append({'line': l0, 'old': old, 'new': new, 'why': why})
    changes.reverse()
    return out, changes


def main():
    script, port = sys.argv[1], int(sys.argv[2])
    clip = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else None
    raw = open(script, 'rb').read()
    text = raw.decode('utf-8', errors='replace')
    try:
        tree = ast.parse(raw, filename=script)
    except SyntaxError as e:
        print(json.dumps({'source': text, 'changes': [], 'facts': {}, 'error': 'SyntaxError line %s: %s' % (e.lineno, e.msg)}))
        return
    edits = Edits()
    facts = {'windows': [], 'resizeWidth': None, 'writesTempWav': 'temp.wav' in text}
    int_names = {}
    port_assigns = scan_assignments(tree, edits, clip, int_names)
    main_port = main_port_of(port_assigns)
    for n, c, v in port_assigns:
        new = port + (v - main_port)
        literal = repr(str(new)) if isinstance(c.value, str) else str(new)
        edits.add(c, literal, '%s: port %d -> %d%s' % (n, v, new, '' if v == main_port else ' (same offset from the main port)'))
    scan_calls(tree, edits, clip, port, main_port, int_names, facts)
    out, changes = apply_edits(raw, edits)
    if main_port is None and not any('port' in c['why'] for c in changes):
        facts['noPort'] = True
    print(json.dumps({'source': out.decode('utf-8', errors='replace'), 'changes': changes, 'facts': facts}))


main()
