from bayeszoo.cli import console_main

console_main()
