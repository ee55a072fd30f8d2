/* placeholder: the command line is being written */
int main(void) { return 0; }
