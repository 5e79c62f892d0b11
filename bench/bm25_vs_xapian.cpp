// Placeholder main: the denser side is written once the sparse module lands (same session).
int main() { return 0; }
