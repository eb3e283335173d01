import ArgumentParser
import KeyportServer
import Logging

@main
struct Keyport: AsyncParsableCommand {}
